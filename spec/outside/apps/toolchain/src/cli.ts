import { main } from './main';

main().then(
  (r) => console.log(JSON.stringify(r)),
  (e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  },
);
