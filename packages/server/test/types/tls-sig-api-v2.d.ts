/** Minimal typings for the CommonJS `tls-sig-api-v2` package (Tencent's reference UserSig generator). */
declare module 'tls-sig-api-v2' {
  namespace TLSSigAPIv2 {
    class Api {
      constructor(sdkappid: number, key: string);
      sdkappid: number;
      key: string;
      /** Generic generator; `userBuf` (binary) is only used for TRTC PrivateMapKey. */
      genSig(userid: string, expire: number, userBuf?: Buffer | null): string;
      genUserSig(userid: string, expire: number): string;
      genPrivateMapKey(userid: string, expire: number, roomid: number, privilegeMap: number): string;
      genPrivateMapKeyWithStringRoomID(userid: string, expire: number, roomstr: string, privilegeMap: number): string;
    }
  }
  export = TLSSigAPIv2;
}
