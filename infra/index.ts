// The package's public API: what `import ... from 'factify-key-rotation'` gives a CDK app.
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
export { KeyRotationSchedule } from './rotation-schedule.js';
