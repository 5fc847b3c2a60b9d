/** `lastMessage.messageForShow` (spec §8.2): the text, or a bracketed label in the app's language. */
const EN: Record<string, string> = {
  TIMImageElem: '[Image]',
  TIMLocationElem: '[Location]',
  TIMSoundElem: '[Voice]',
  TIMVideoFileElem: '[Video]',
  TIMFileElem: '[File]',
  TIMCustomElem: '[Custom Messages]',
  TIMGroupTipElem: '[Group Notification]',
  TIMGroupSystemNoticeElem: '[Group System Message]',
  TIMFaceElem: '[Animated Sticker]',
  TIMRelayElem: '[Chat Record]',
};
const ZH: Record<string, string> = {
  TIMImageElem: '[图片]',
  TIMLocationElem: '[位置]',
  TIMSoundElem: '[语音]',
  TIMVideoFileElem: '[视频]',
  TIMFileElem: '[文件]',
  TIMCustomElem: '[自定义消息]',
  TIMGroupTipElem: '[群提示消息]',
  TIMGroupSystemNoticeElem: '[群系统通知]',
  TIMFaceElem: '[动画表情]',
  TIMRelayElem: '[聊天记录]',
};

/** English for SDKAppID 0 and the "intl" ranges (spec §3), Chinese otherwise. */
export function isIntlApp(sdkAppID: number): boolean {
  return sdkAppID === 0 || (sdkAppID >= 20_000_000 && sdkAppID < 80_000_000) || (sdkAppID >= 1_720_000_000 && sdkAppID < 1_780_000_000);
}

export function messageForShow(type: string, payload: Record<string, unknown>, intl: boolean): string {
  if (type === 'TIMTextElem') return typeof payload['text'] === 'string' ? payload['text'] : '';
  return (intl ? EN : ZH)[type] ?? (intl ? '[Message]' : '[消息]');
}
