/** The Tasklane version, reported in heartbeats of the fleet registry and by `tasklane --version`. */
export const VERSION = '0.1.0';
