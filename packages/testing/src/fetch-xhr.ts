/**
 * Just enough XMLHttpRequest, on top of fetch, for the web path of Tencent's
 * `tim-upload-plugin`, which Node lacks (tests install it as a global). It
 * reports progress at half and at the end.
 */
export class FetchXMLHttpRequest {
  status = 0;
  statusText = '';
  responseText = '';
  responseType = 'text';
  readonly upload: { onprogress: ((e: { total: number; loaded: number }) => void) | null } = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: ((e: { message?: string }) => void) | null = null;
  private method = 'GET';
  private url = '';
  private readonly requestHeaders: Record<string, string> = {};
  private responseHeaders = '';

  open(method: string, url: string): void {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(name: string, value: string): void {
    this.requestHeaders[name] = value;
  }
  getAllResponseHeaders(): string {
    return this.responseHeaders;
  }
  send(body: Blob): void {
    this.upload.onprogress?.({ total: body.size, loaded: Math.floor(body.size / 2) });
    fetch(this.url, { method: this.method, headers: this.requestHeaders, body }).then(
      async (res) => {
        this.status = res.status;
        this.statusText = res.statusText;
        this.responseText = await res.text();
        const lines: string[] = [];
        res.headers.forEach((v, k) => lines.push(`${k}: ${v}`));
        this.responseHeaders = lines.join('\r\n');
        this.upload.onprogress?.({ total: body.size, loaded: body.size });
        this.onload?.();
      },
      (err: Error) => this.onerror?.({ message: err.message }),
    );
  }
}
