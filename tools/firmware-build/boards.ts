/** Board profiles from hardware/boards/<id>.json, validated on load. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateBoardProfile, type BoardProfile } from '../../hardware/boards/board-profile.ts';
import { REPO_ROOT } from './paths.ts';

export const BOARDS_DIR = join(REPO_ROOT, 'hardware', 'boards');

/** Ids of every board profile, sorted. */
export function listBoards(boardsDir = BOARDS_DIR): string[] {
  return readdirSync(boardsDir)
    .filter((name) => name.endsWith('.json'))
    .map((name) => name.slice(0, -'.json'.length))
    .sort();
}

/** Reads and validates one profile; throws an Error listing every problem. */
export function loadBoard(id: string, boardsDir = BOARDS_DIR): BoardProfile {
  if (!listBoards(boardsDir).includes(id)) {
    throw new Error(`unknown board "${id}" (known: ${listBoards(boardsDir).join(', ')})`);
  }
  const file = join(boardsDir, `${id}.json`);
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`);
  }
  const problems = validateBoardProfile(value, id);
  if (problems.length > 0) throw new Error(`${file}: invalid board profile:\n  ${problems.join('\n  ')}`);
  return value as BoardProfile;
}
