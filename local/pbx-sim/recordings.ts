/**
 * Fake call recordings: bytes that look like an mp3 file (an ID3v2 tag followed by MPEG-1
 * Layer III frame headers), sized roughly like a 128 kbit/s recording of the call.
 */

const FRAME_BYTES = 417; // MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, no padding
const FRAMES_PER_SECOND = 38.28;

export function fakeMp3(durationMs: number, seed: string): Buffer {
  const frames = Math.max(3, Math.min(20_000, Math.round((durationMs / 1000) * FRAMES_PER_SECOND)));
  const id3 = Buffer.from([0x49, 0x44, 0x33, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]);
  const out = Buffer.alloc(id3.length + frames * FRAME_BYTES);
  id3.copy(out, 0);
  let h = 0;
  for (const ch of seed) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  for (let i = 0; i < frames; i++) {
    const off = id3.length + i * FRAME_BYTES;
    out[off] = 0xff;
    out[off + 1] = 0xfb;
    out[off + 2] = 0x90;
    out[off + 3] = 0x64;
    // a little deterministic "audio" so different recordings differ
    h = (h * 1103515245 + 12345) >>> 0;
    out[off + 4] = h & 0xff;
    out[off + 5] = (h >>> 8) & 0xff;
  }
  return out;
}
