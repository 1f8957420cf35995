/** AMF0 type markers (AMF0 spec §2.1), shared by the decoder and the encoder. */
export const Amf0Marker = {
  Number: 0x00,
  Boolean: 0x01,
  String: 0x02,
  Object: 0x03,
  MovieClip: 0x04,
  Null: 0x05,
  Undefined: 0x06,
  Reference: 0x07,
  EcmaArray: 0x08,
  ObjectEnd: 0x09,
  StrictArray: 0x0a,
  Date: 0x0b,
  LongString: 0x0c,
  Unsupported: 0x0d,
  RecordSet: 0x0e,
  XmlDocument: 0x0f,
  TypedObject: 0x10,
  AvmPlus: 0x11,
} as const;

/** Deepest nesting of objects and arrays either side accepts; guards the stack against hostile input. */
export const AMF0_MAX_DEPTH = 64;
