/**
 * Optional external tools: Debian's `ffprobe` (duration, frame size) and
 * `ffmpeg` (video cover snapshot). Probed once; when missing, uploads still
 * succeed with duration 0 and no snapshot.
 *
 * Untrusted input hardening: only the `file` protocol and a fixed list of
 * demuxers (no playlists such as HLS, which could make ffmpeg read other
 * files), and a time limit per run.
 */
import { execFile } from 'node:child_process';
import type { Logger } from 'pino';

const DEMUXERS = 'mov,mp3,aac,wav,ogg,flac,amr,matroska';
const SAFE_INPUT = ['-protocol_whitelist', 'file', '-format_whitelist', DEMUXERS];
const RUN_TIMEOUT_MS = 60_000;

export interface ProbeResult {
  /** Seconds (fractional), 0 when unknown. */
  duration: number;
  /** First video stream's frame size (0 when none). */
  width: number;
  height: number;
  /** ffprobe's format_name, e.g. "mov,mp4,m4a,3gp,3g2,mj2". */
  formatName: string;
}

function run(command: string, args: string[], timeoutMs = RUN_TIMEOUT_MS): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024, windowsHide: true }, (err, stdout) => {
      if (err) reject(err);
      else resolve(stdout);
    });
  });
}

export class MediaTools {
  private availability: Promise<{ ffmpeg: boolean; ffprobe: boolean }> | null = null;

  constructor(
    private readonly ffmpegPath: string,
    private readonly ffprobePath: string,
    private readonly log: Logger,
  ) {}

  /** Whether each tool runs (checked once, at first use). */
  available(): Promise<{ ffmpeg: boolean; ffprobe: boolean }> {
    this.availability ??= (async () => {
      const works = async (path: string): Promise<boolean> => {
        if (path === '') return false;
        try {
          await run(path, ['-hide_banner', '-version'], 10_000);
          return true;
        } catch {
          return false;
        }
      };
      const [ffmpeg, ffprobe] = await Promise.all([works(this.ffmpegPath), works(this.ffprobePath)]);
      if (!ffmpeg || !ffprobe) {
        this.log.warn({ ffmpeg, ffprobe }, 'ffmpeg/ffprobe not found: video snapshots and audio/video durations are disabled (apt-get install ffmpeg)');
      }
      return { ffmpeg, ffprobe };
    })();
    return this.availability;
  }

  /** Duration and frame size; null when ffprobe is missing or cannot read the file. */
  async probe(path: string): Promise<ProbeResult | null> {
    if (!(await this.available()).ffprobe) return null;
    try {
      const out = await run(this.ffprobePath, ['-v', 'error', ...SAFE_INPUT, '-print_format', 'json', '-show_format', '-show_streams', path]);
      const parsed = JSON.parse(out) as {
        format?: { duration?: string; format_name?: string };
        streams?: Array<{ codec_type?: string; width?: number; height?: number; duration?: string }>;
      };
      const video = parsed.streams?.find((s) => s.codec_type === 'video');
      const duration = Number(parsed.format?.duration ?? video?.duration ?? 0);
      return {
        duration: Number.isFinite(duration) && duration > 0 ? duration : 0,
        width: video?.width ?? 0,
        height: video?.height ?? 0,
        formatName: parsed.format?.format_name ?? '',
      };
    } catch (err) {
      this.log.debug({ err }, 'ffprobe failed');
      return null;
    }
  }

  /** Writes the first frame as JPEG to `output`; false when ffmpeg is missing or fails. */
  async snapshot(input: string, output: string): Promise<boolean> {
    if (!(await this.available()).ffmpeg) return false;
    try {
      await run(this.ffmpegPath, [
        '-hide_banner', '-nostdin', '-v', 'error', '-y', ...SAFE_INPUT, '-i', input,
        '-map', '0:v:0', '-frames:v', '1', '-an', '-f', 'image2', '-c:v', 'mjpeg', '-q:v', '3', output,
      ]);
      return true;
    } catch (err) {
      this.log.debug({ err }, 'ffmpeg snapshot failed');
      return false;
    }
  }
}
