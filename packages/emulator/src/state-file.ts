/**
 * Optional persistence of pipelines (definitions, tags, state). Runtime objects (instances, attempts,
 * tasks) are not saved. Writes are debounced and atomic (temp file + rename) so a crash never leaves a
 * half-written file behind.
 */
import { readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { EmulatorError } from './errors.ts';
import type { Definition, Pipeline, PipelineState } from './model.ts';

export interface SavedPipeline {
  id: string;
  name: string;
  uniqueId: string;
  description?: string;
  tags: Array<[string, string]>;
  createdAt: number;
  userId: string;
  state: PipelineState;
  deleted: boolean;
  latest?: Definition;
  active?: Definition;
  lastActivatedAt?: number;
}

export interface SavedState {
  version: 1;
  pipelines: SavedPipeline[];
}

const DEBOUNCE_MS = 50;

export function toSaved(pipelines: Iterable<Pipeline>): SavedState {
  const out: SavedPipeline[] = [];
  for (const p of pipelines) {
    if (p.hidden) continue;
    const saved: SavedPipeline = {
      id: p.id,
      name: p.name,
      uniqueId: p.uniqueId,
      tags: [...p.tags],
      createdAt: p.createdAt,
      userId: p.userId,
      state: p.state,
      deleted: p.deleted,
    };
    if (p.description !== undefined) saved.description = p.description;
    if (p.latest) saved.latest = p.latest;
    if (p.active) saved.active = p.active;
    if (p.lastActivatedAt !== undefined) saved.lastActivatedAt = p.lastActivatedAt;
    out.push(saved);
  }
  return { version: 1, pipelines: out };
}

export class StateFile {
  readonly path: string;
  readonly #log: (line: string) => void;
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();
  #snapshot: (() => SavedState) | undefined;

  constructor(path: string, log: (line: string) => void) {
    this.path = path;
    this.#log = log;
  }

  /** The saved state, or undefined when there is no file yet. A corrupt file is an error, not a reset. */
  load(): SavedState | undefined {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new EmulatorError(
        'EMU_STATE_FILE',
        `cannot read state file ${this.path}: ${(err as Error).message}`,
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new EmulatorError(
        'EMU_STATE_FILE',
        `state file ${this.path} is not valid JSON: ${(err as Error).message}`,
      );
    }
    const state = parsed as Partial<SavedState>;
    if (state.version !== 1 || !Array.isArray(state.pipelines)) {
      throw new EmulatorError('EMU_STATE_FILE', `state file ${this.path} has an unknown format`);
    }
    return state as SavedState;
  }

  schedule(snapshot: () => SavedState): void {
    this.#snapshot = snapshot;
    if (this.#timer) return;
    this.#timer = setTimeout(() => this.#startWrite(), DEBOUNCE_MS);
    this.#timer.unref();
  }

  #startWrite(): void {
    this.#timer = undefined;
    const snapshot = this.#snapshot;
    if (!snapshot) return;
    const text = JSON.stringify(snapshot());
    this.#writing = this.#writing.then(() => this.#write(text));
  }

  async #write(text: string): Promise<void> {
    const tmp = `${this.path}.${process.pid}.${Date.now()}.tmp`;
    try {
      await writeFile(tmp, text, 'utf8');
      await rename(tmp, this.path);
    } catch (err) {
      this.#log(`state file write failed: ${(err as Error).message}`);
    }
  }

  async flush(): Promise<void> {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#startWrite();
    }
    await this.#writing;
  }
}
