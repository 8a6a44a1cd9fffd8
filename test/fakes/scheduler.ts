import type { InspectableRevocationScheduler, OneTimeSchedule } from '../../lambda/ports.js';

/** An in-memory RevocationScheduler; the Scheduler emulator in test/emulators tests the real adapter. */
export class FakeScheduler implements InspectableRevocationScheduler {
  readonly schedules = new Map<string, OneTimeSchedule>();
  readonly calls: string[] = [];

  async scheduleOnce(schedule: OneTimeSchedule): Promise<'created' | 'exists'> {
    this.calls.push('scheduleOnce');
    if (this.schedules.has(schedule.name)) return 'exists';
    this.schedules.set(schedule.name, schedule);
    return 'created';
  }

  async scheduledAt(name: string): Promise<Date | undefined> {
    return this.schedules.get(name)?.at;
  }

  async deleteSchedule(name: string): Promise<void> {
    this.calls.push('deleteSchedule');
    this.schedules.delete(name);
  }
}
