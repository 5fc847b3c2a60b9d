/** One admin REST command: reads its body, calls services, returns the command's response fields. */
import type { Caller } from '../services/message-service.js';
import type { RestBody } from './rest-body.js';

export interface RestRequest {
  /** The app administrator (the URL's `identifier`), as the services see a caller. */
  caller: Caller;
  body: RestBody;
}

/** Resolves with the fields added to `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}`. */
export type RestCommand = (request: RestRequest) => Promise<Record<string, unknown>>;

/** The commands of one service (`/v4/<service>/<command>`), and the code its body errors use. */
export interface RestService {
  /** Tencent's "invalid parameters" code of this service (group 10004, account 70402). */
  invalidParameters: number;
  /** Answer for an unknown command of this service (group 10003 "wrong API name"; others 60009). */
  unknownCommand: number;
  commands: Readonly<Record<string, RestCommand>>;
}
