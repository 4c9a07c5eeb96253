import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Just enough of the source map format (v3) to tell which original source a position of generated
 * code comes from: the `sourceMappingURL` comment of a script (a file beside it or an inline data
 * URL), its `sources` and the VLQ `mappings`, decoded lazily up to the lines asked for. Reading a
 * map never executes anything; files larger than {@link MAX_SCRIPT_BYTES} are not read.
 * @internal
 */

/** Scripts and maps larger than this are not read for naming (64 MiB). @internal */
export const MAX_SCRIPT_BYTES = 64 * 1024 * 1024;

const B64 = new Int8Array(128).fill(-1);
'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.split('').forEach((c, i) => (B64[c.charCodeAt(0)] = i));

/** A segment: generated column, then source index (or -1 when the segment maps nowhere). */
type Line = Int32Array;

/** A parsed source map whose mappings are decoded on demand. @internal */
export class SourceMapLite {
  private readonly lines: Line[] = [];
  private pos = 0;
  private src = 0;

  /**
   * @param sources - the map's sources, resolved (absolute paths, or `webpack://…` and other URLs as written)
   * @param mappings - the `mappings` string
   */
  constructor(
    readonly sources: readonly string[],
    private readonly mappings: string,
    /** the sources' text as embedded in the map (`sourcesContent`), where it is */
    readonly sourcesContent: readonly (string | null)[] = [],
  ) {}

  /** The text of an original source: embedded in the map, else read from its file (bounded); null when neither. */
  sourceText(source: string): string | null {
    const i = this.sources.indexOf(source);
    const embedded = i >= 0 ? this.sourcesContent[i] : null;
    if (typeof embedded === 'string') return embedded;
    return path.isAbsolute(source) ? readBounded(source) : null;
  }

  private decodeLine(): Line {
    const m = this.mappings;
    const out: number[] = [];
    const f = [0, 0, 0, 0, 0];
    let genCol = 0;
    while (this.pos < m.length) {
      const c = m.charCodeAt(this.pos);
      if (c === 59 /* ; */) {
        this.pos++;
        break;
      }
      if (c === 44 /* , */) {
        this.pos++;
        continue;
      }
      let n = 0; // one segment: 1, 4 or 5 VLQ fields
      while (this.pos < m.length) {
        const ch = m.charCodeAt(this.pos);
        if (ch === 44 || ch === 59) break;
        let value = 0;
        let shift = 0;
        let d: number;
        do {
          const code = m.charCodeAt(this.pos++);
          d = code < 128 ? B64[code] : -1;
          if (d < 0 || shift > 30) throw new Error('not a source map VLQ');
          value += (d & 31) * 2 ** shift;
          shift += 5;
        } while (d & 32 && this.pos < m.length);
        if (n >= 5) throw new Error('not a source map segment');
        f[n++] = value % 2 === 1 ? -(value - 1) / 2 : value / 2;
      }
      genCol += f[0];
      let source = -1;
      if (n >= 4) {
        this.src += f[1]; // original line, column and name are not needed to tell the module
        source = this.src;
      }
      out.push(genCol, source);
    }
    return Int32Array.from(out);
  }

  /**
   * The original source of a generated position (1-based line and column), or null when that
   * position maps nowhere.
   */
  sourceAt(line: number, column: number): string | null {
    const l = line - 1;
    if (l < 0) return null;
    while (this.lines.length <= l && this.pos < this.mappings.length) this.lines.push(this.decodeLine());
    const segs = this.lines[l];
    if (!segs) return null;
    const col = column - 1;
    let best = -1;
    for (let i = 0; i < segs.length; i += 2) {
      if (segs[i] > col) break;
      best = segs[i + 1];
    }
    if (best < 0) {
      // a call at the very start of a line (before its first segment): that segment tells the module
      if (segs.length >= 2 && segs[1] >= 0) best = segs[1];
      else return null;
    }
    return this.sources[best] ?? null;
  }
}

function readBounded(file: string): string | null {
  try {
    const st = fs.statSync(file);
    if (!st.isFile() || st.size > MAX_SCRIPT_BYTES) return null;
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

const URL_COMMENT = /(?:\/\/|\/\*)[#@] sourceMappingURL=([^\s*'"]+)\s*(?:\*\/)?\s*$/;

/** The `sourceMappingURL` of a script's text: its last line that names one. @internal */
export function mappingUrlOf(text: string): string | null {
  let end = text.length;
  // only the trailing comment counts; look at the last few non-empty lines
  for (let n = 0; n < 5 && end > 0; n++) {
    const start = text.lastIndexOf('\n', end - 1) + 1;
    const line = text.slice(start, end).trim();
    end = start - 1;
    if (line === '') continue;
    const m = URL_COMMENT.exec(line);
    if (m) return m[1];
  }
  return null;
}

function resolveSource(s: string, root: string, mapDir: string): string {
  const joined = root ? (root.endsWith('/') ? root + s : `${root}/${s}`) : s;
  if (/^[a-z][a-z0-9+.-]*:/i.test(joined)) {
    if (joined.startsWith('file://')) {
      try {
        return fileURLToPath(joined);
      } catch {
        return joined;
      }
    }
    return joined; // webpack://, and other schemes: kept as written
  }
  return path.resolve(mapDir, joined);
}

/** Parses a v3 map's text; null when it is not one (or is an index map with sections). @internal */
export function parseSourceMap(json: string, mapDir: string): SourceMapLite | null {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    return null;
  }
  const m = raw as { version?: unknown; sources?: unknown; sourceRoot?: unknown; mappings?: unknown; sourcesContent?: unknown };
  if (!m || typeof m !== 'object' || m.version !== 3 || !Array.isArray(m.sources) || typeof m.mappings !== 'string') return null;
  const root = typeof m.sourceRoot === 'string' ? m.sourceRoot : '';
  const sources = m.sources.map((s) => (typeof s === 'string' ? resolveSource(s, root, mapDir) : ''));
  const contents = Array.isArray(m.sourcesContent) ? m.sourcesContent.map((c) => (typeof c === 'string' ? c : null)) : [];
  return new SourceMapLite(sources, m.mappings, contents);
}

/** What a script is: its text (bounded) and its source map, when it has one. @internal */
export interface ScriptInfo {
  /** the script's text, or null when it could not be read (or is too large) */
  text: string | null;
  /** its source map, or null */
  map: SourceMapLite | null;
}

const scripts = new Map<string, ScriptInfo>();

/** Reads a script and its source map once per process. @internal */
export function scriptInfo(file: string): ScriptInfo {
  let info = scripts.get(file);
  if (info) return info;
  const text = readBounded(file);
  let map: SourceMapLite | null = null;
  const url = text ? mappingUrlOf(text) : null;
  if (url) {
    const dir = path.dirname(file);
    const inline = /^data:application\/json(?:;charset=[\w-]+)?;base64,(.*)$/i.exec(url);
    if (inline) {
      map = parseSourceMap(Buffer.from(inline[1], 'base64').toString('utf8'), dir);
    } else if (!/^[a-z][a-z0-9+.-]*:/i.test(url) || url.startsWith('file://')) {
      let mapFile: string | null = null;
      try {
        mapFile = url.startsWith('file://') ? fileURLToPath(url) : path.resolve(dir, decodeURIComponent(url));
      } catch {
        mapFile = null;
      }
      const json = mapFile ? readBounded(mapFile) : null;
      if (json && mapFile) map = parseSourceMap(json, path.dirname(mapFile));
    }
  }
  info = { text, map };
  scripts.set(file, info);
  return info;
}
