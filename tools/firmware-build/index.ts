/** The firmware build's public API (used by `stadtsensor build` and `npm run build:firmware`). */
export { DEFAULT_APP_CONFIG, appConfig, type AppConfig } from './app-config.ts';
export { BOARDS_DIR, listBoards, loadBoard } from './boards.ts';
export { APPS_DIR, OUT_DIR, buildFirmware, formatBuildProblems, listApps, type BuildOptions, type BundleProblem, type FirmwareBuild } from './build.ts';
export { BOARD_MODULE, DEFAULT_RADIO, RADIO_MODES } from './bundle.ts';
export { sizeTable } from './size-table.ts';
