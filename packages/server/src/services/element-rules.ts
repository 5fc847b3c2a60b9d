/**
 * Per-element payload rules (spec §4.2, §8.3). Text, custom and face are
 * checked strictly; other `TIM*Elem` types are carried as given (media types
 * arrive with the upload issue).
 */
import { ErrorCode, type WireMessageInput } from '@parley/protocol';
import { ServiceError } from './service-error.js';

/** Checks a message's element and body size (C2C and group alike); throws the TIM code. */
export function assertValidBody(input: Pick<WireMessageInput, 'type' | 'payload' | 'cloudCustomData'>, maxBodyBytes: number): void {
  const elementError = validateElement(input.type, input.payload);
  if (elementError) throw new ServiceError(ErrorCode.InvalidRequest, elementError);
  const bodyBytes = Buffer.byteLength(JSON.stringify([input.type, input.payload, input.cloudCustomData ?? '']));
  if (bodyBytes > maxBodyBytes) {
    throw new ServiceError(ErrorCode.MessageBodyTooLarge, `message body is ${bodyBytes} bytes; the limit is ${maxBodyBytes}`);
  }
}

function isString(v: unknown): v is string {
  return typeof v === 'string';
}

export function validateElement(type: string, payload: Record<string, unknown>): string | null {
  switch (type) {
    case 'TIMTextElem':
      if (!isString(payload['text']) || payload['text'].length === 0) return 'TIMTextElem payload.text must be a non-empty string';
      if (payload['atUserList'] !== undefined && !(Array.isArray(payload['atUserList']) && payload['atUserList'].every(isString))) {
        return 'TIMTextElem payload.atUserList must be an array of strings';
      }
      return null;
    case 'TIMCustomElem':
      for (const key of ['data', 'description', 'extension']) {
        if (payload[key] !== undefined && !isString(payload[key])) return `TIMCustomElem payload.${key} must be a string`;
      }
      return null;
    case 'TIMFaceElem':
      if (typeof payload['index'] !== 'number' || !Number.isFinite(payload['index'])) return 'TIMFaceElem payload.index must be a number';
      if (!isString(payload['data'])) return 'TIMFaceElem payload.data must be a string';
      return null;
    case 'TIMGroupTipElem':
    case 'TIMGroupSystemNoticeElem':
      return `${type} is created by the server only`;
    default:
      return null;
  }
}
