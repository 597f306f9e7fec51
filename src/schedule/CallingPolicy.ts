import { brokenRules, nextAllowedTime } from './CallingRules.js';
import { isValidTimezone, zonesOfNumber } from './customerZones.js';
import type { BusinessHours, CallingWindow, RuleSet } from './ruleTypes.js';

export { isValidTimezone } from './customerZones.js';

export interface CallingPolicyMenu {
  id: number;
  callingWindow?: CallingWindow;
  hours?: BusinessHours;
}

export interface CallingPolicyOptions {
  defaultTimezone: string;
  callingWindow?: CallingWindow;
  menus: CallingPolicyMenu[];
}

/** `timezone` is what the call object shows (SPEC 9.3), `zones` what the rules read the window in. */
export interface CustomerTimezone {
  zones: string[];
  timezone: string | null;
}

export type CallingRuleBreach = 'calling_window' | 'business_hours' | 'calling_window_and_business_hours';

export type CallingCheck = { allowed: true } | { allowed: false; next: Date | null; reason: CallingRuleBreach };

/** What the admin page shows for a menu. */
export interface CallingRulesDescription {
  defaultTimezone: string;
  /** The window in force for the menu (its own, else the global one), null when there is none. */
  callingWindow: CallingWindow | null;
  callingWindowSource: 'menu' | 'global' | null;
  hours: BusinessHours | null;
}

/**
 * Reference instants for "does any instant satisfy the window in all of a number's zones": one in northern winter and
 * one in northern summer, because DST moves the zones against each other. Fixed so that the answer (and the zone
 * a call shows) does not depend on the day it is asked.
 */
const INTERSECTION_REFERENCES = [new Date('2026-01-12T00:00:00.000Z'), new Date('2026-07-13T00:00:00.000Z')];

/** The calling window and business hours of SPEC 9.3, per menu, as configured. */
export class CallingPolicy {
  private readonly defaultTimezone: string;
  private readonly globalWindow: CallingWindow | null;
  private readonly menus: Map<number, CallingPolicyMenu>;
  /** Whether the window has a common instant in a zone set, per menu window and zone set (toll-free sets recur). */
  private readonly intersectionCache = new Map<string, boolean>();

  constructor(options: CallingPolicyOptions) {
    for (const zone of [options.defaultTimezone, ...options.menus.flatMap((menu) => menu.hours?.timezone ?? [])]) {
      if (!isValidTimezone(zone)) throw new Error(`Unknown time zone: ${zone}`);
    }
    this.defaultTimezone = options.defaultTimezone;
    this.globalWindow = options.callingWindow ?? null;
    this.menus = new Map(options.menus.map((menu) => [menu.id, menu]));
  }

  /** SPEC 9.3's order: the requested zone (validated by the caller), else the number's zone(s), else the default. */
  async customerTimezone(input: { menuId: number; e164: string; requested: string | null }): Promise<CustomerTimezone> {
    if (input.requested !== null) return { zones: [input.requested], timezone: input.requested };
    const zones = await zonesOfNumber(input.e164);
    if (zones.length === 1) return { zones, timezone: zones[0]! };
    if (zones.length > 1 && this.windowHasCommonInstant(input.menuId, zones)) return { zones, timezone: null };
    return { zones: [this.defaultTimezone], timezone: this.defaultTimezone };
  }

  /** The menu's window (else the global one) read in `zones` ([] = the default zone), and the menu's hours. */
  rulesFor(menuId: number, zones: string[]): RuleSet {
    return {
      window: this.windowOf(menuId),
      customerZones: zones.length > 0 ? zones : [this.defaultTimezone],
      hours: this.hoursOf(menuId),
    };
  }

  /** Whether a call may be placed at `at`; if not, which rule it breaks and the earliest allowed instant after it. */
  check(input: { menuId: number; zones: string[] }, at: Date): CallingCheck {
    const rules = this.rulesFor(input.menuId, input.zones);
    const broken = brokenRules(rules, at);
    if (!broken.window && !broken.hours) return { allowed: true };
    const reason: CallingRuleBreach =
      broken.window && broken.hours ? 'calling_window_and_business_hours' : broken.window ? 'calling_window' : 'business_hours';
    return { allowed: false, next: nextAllowedTime(rules, at), reason };
  }

  describe(menuId: number): CallingRulesDescription {
    const menuWindow = this.menus.get(menuId)?.callingWindow ?? null;
    return {
      defaultTimezone: this.defaultTimezone,
      callingWindow: menuWindow ?? this.globalWindow,
      callingWindowSource: menuWindow ? 'menu' : this.globalWindow ? 'global' : null,
      hours: this.hoursOf(menuId),
    };
  }

  /** False when neither a window nor hours apply to the menu: every instant is allowed. */
  hasRules(menuId: number): boolean {
    return this.windowOf(menuId) !== null || this.hoursOf(menuId) !== null;
  }

  private windowOf(menuId: number): CallingWindow | null {
    return this.menus.get(menuId)?.callingWindow ?? this.globalWindow;
  }

  private hoursOf(menuId: number): BusinessHours | null {
    return this.menus.get(menuId)?.hours ?? null;
  }

  /** True when some instant lies in the menu's window in every zone at once, in winter and in summer (or no window). */
  private windowHasCommonInstant(menuId: number, zones: string[]): boolean {
    const window = this.windowOf(menuId);
    if (!window) return true;
    const key = `${window.start}-${window.end}|${[...zones].sort().join(',')}`;
    let common = this.intersectionCache.get(key);
    if (common === undefined) {
      const rules: RuleSet = { window, customerZones: zones, hours: null };
      common = INTERSECTION_REFERENCES.every((reference) => nextAllowedTime(rules, reference) !== null);
      this.intersectionCache.set(key, common);
    }
    return common;
  }
}
