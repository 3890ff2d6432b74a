/**
 * Preloaded (`node --import`) into the API and worker processes of the local stack: when the launcher
 * that spawned them is gone (killed with SIGKILL, say), the process is re-parented; it then sends
 * itself SIGTERM and shuts down the way it would on Ctrl-C, instead of living on with its port bound.
 */
const launcher = process.ppid;
const watch = setInterval(() => {
  if (process.ppid === launcher) return;
  clearInterval(watch);
  process.kill(process.pid, "SIGTERM");
}, 500);
// Never what keeps the process alive.
watch.unref();
