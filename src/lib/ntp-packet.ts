/**
 * SNTPv4 packet encoding and decoding (RFC 4330 / RFC 5905), pure so it can be tested without a
 * socket. NTP timestamps count seconds since 1900 in 32 bits, so they wrap every ~136 years (the
 * first wrap is in February 2036); the era is chosen as the one nearest to the local clock.
 */

export const NTP_PACKET_BYTES = 48;
/** Seconds from 1900-01-01 (the NTP epoch) to 1970-01-01 (the Unix epoch). */
export const NTP_UNIX_OFFSET_SECONDS = 2_208_988_800;
const ERA_SECONDS = 2 ** 32;
const MODE_CLIENT = 3;
export const MODE_SERVER = 4;
const VERSION = 4;

/** A raw 64-bit NTP timestamp: 32-bit seconds and 32-bit fraction. */
export interface NtpTimestamp {
  seconds: number;
  fraction: number;
}

export interface NtpReply {
  leap: number;
  version: number;
  mode: number;
  stratum: number;
  /** For stratum 0 (kiss-of-death) this is the four-letter kiss code, e.g. "RATE" or "DENY". */
  referenceId: string;
  originate: NtpTimestamp;
  receive: NtpTimestamp;
  transmit: NtpTimestamp;
}

export function unixMsToNtp(ms: number): NtpTimestamp {
  const total = ms / 1000 + NTP_UNIX_OFFSET_SECONDS;
  const whole = Math.floor(total);
  return {
    seconds: whole % ERA_SECONDS,
    fraction: Math.min(ERA_SECONDS - 1, Math.floor((total - whole) * ERA_SECONDS)),
  };
}

/** Converts to Unix ms, picking the era that puts the result closest to `nearMs` (the local clock). */
export function ntpToUnixMs(timestamp: NtpTimestamp, nearMs: number): number {
  const nearNtpSeconds = nearMs / 1000 + NTP_UNIX_OFFSET_SECONDS;
  const era = Math.round((nearNtpSeconds - timestamp.seconds) / ERA_SECONDS);
  const ntpSeconds = era * ERA_SECONDS + timestamp.seconds + timestamp.fraction / ERA_SECONDS;
  return (ntpSeconds - NTP_UNIX_OFFSET_SECONDS) * 1000;
}

export function isZero(timestamp: NtpTimestamp): boolean {
  return timestamp.seconds === 0 && timestamp.fraction === 0;
}

export function sameTimestamp(a: NtpTimestamp, b: NtpTimestamp): boolean {
  return a.seconds === b.seconds && a.fraction === b.fraction;
}

/** A client request: LI 0, version 4, mode 3, everything zero except the transmit timestamp. */
export function encodeRequest(transmit: NtpTimestamp): Buffer {
  const packet = Buffer.alloc(NTP_PACKET_BYTES);
  packet[0] = (0 << 6) | (VERSION << 3) | MODE_CLIENT;
  packet.writeUInt32BE(transmit.seconds, 40);
  packet.writeUInt32BE(transmit.fraction, 44);
  return packet;
}

function readTimestamp(packet: Buffer, offset: number): NtpTimestamp {
  return { seconds: packet.readUInt32BE(offset), fraction: packet.readUInt32BE(offset + 4) };
}

/** Decodes the fields we use, or returns undefined when the packet is too short to be NTP. */
export function decodeReply(packet: Buffer): NtpReply | undefined {
  if (packet.length < NTP_PACKET_BYTES) return undefined;
  const first = packet[0]!;
  const refBytes = packet.subarray(12, 16);
  return {
    leap: first >> 6,
    version: (first >> 3) & 0b111,
    mode: first & 0b111,
    stratum: packet[1]!,
    referenceId: /^[\x20-\x7e\0]{4}$/.test(refBytes.toString('latin1'))
      ? refBytes.toString('latin1').replace(/\0+$/, '')
      : refBytes.toString('hex'),
    originate: readTimestamp(packet, 24),
    receive: readTimestamp(packet, 32),
    transmit: readTimestamp(packet, 40),
  };
}

/** Encodes a server reply; used by tests and local simulators, kept here beside the decoder. */
export function encodeReply(reply: {
  leap?: number;
  version?: number;
  mode?: number;
  stratum: number;
  referenceId?: string;
  originate: NtpTimestamp;
  receive: NtpTimestamp;
  transmit: NtpTimestamp;
}): Buffer {
  const packet = Buffer.alloc(NTP_PACKET_BYTES);
  packet[0] = ((reply.leap ?? 0) << 6) | ((reply.version ?? VERSION) << 3) | (reply.mode ?? MODE_SERVER);
  packet[1] = reply.stratum;
  packet.write((reply.referenceId ?? 'LOCL').padEnd(4, '\0').slice(0, 4), 12, 'latin1');
  packet.writeUInt32BE(reply.originate.seconds, 24);
  packet.writeUInt32BE(reply.originate.fraction, 28);
  packet.writeUInt32BE(reply.receive.seconds, 32);
  packet.writeUInt32BE(reply.receive.fraction, 36);
  packet.writeUInt32BE(reply.transmit.seconds, 40);
  packet.writeUInt32BE(reply.transmit.fraction, 44);
  return packet;
}
