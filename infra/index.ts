// The package's public API: what `import ... from 'factify-key-rotation'` gives a CDK app. Every type a public
// member refers to is exported here too (test/package/install.test.ts checks the declarations).
export {
  FactifyKeyRotationEnrollment,
  type FactifyKeyRotationEnrollmentProps,
  type RotationScheduleOptions,
} from './enrollment.js';
export {
  FactifyKeyRotation,
  FactifyKeyRotationConfigError,
  type FactifyKeyRotationProps,
} from './factify-key-rotation.js';
export { type MonitoredSecret, RotationMonitoring, type RotationMonitoringProps } from './monitoring.js';
export { RevokeScheduling, type RevokeSchedulingProps } from './revoke-scheduling.js';
export { KeyRotationSchedule } from './rotation-schedule.js';
