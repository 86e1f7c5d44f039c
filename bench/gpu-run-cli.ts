// Entry of the GPU bundle's gpu-run.js (npm run bench:bundle): runs bench/gpu-run.ts's main.
import { main } from './gpu-run';

process.exit(await main(process.argv.slice(2)));
