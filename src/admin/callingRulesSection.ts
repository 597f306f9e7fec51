import type { AppConfig } from '../config/schema.js';
import type { CallingPolicy, CallingRulesDescription } from '../schedule/CallingPolicy.js';
import { WEEKDAYS, type BusinessHours, type CallingWindow, type Weekday } from '../schedule/ruleTypes.js';
import { markup, type Markup } from './Markup.js';

/**
 * The admin page's read-only section "Calling window and business hours" (SPEC 9.3): the default time zone, the
 * global calling window, and per menu the window in force and the business hours. Read from the running config
 * through the same CallingPolicy the scheduler and the fire step use, so the page shows what they apply.
 */

export interface MenuCallingRules {
  id: number;
  name: string;
  rules: CallingRulesDescription;
}

export interface CallingRulesOverview {
  defaultTimezone: string;
  globalWindow: CallingWindow | null;
  menus: MenuCallingRules[];
}

export function callingRulesOverview(
  config: Pick<AppConfig, 'defaultTimezone' | 'callingWindow' | 'menus'>,
  calling: Pick<CallingPolicy, 'describe'>,
): CallingRulesOverview {
  return {
    defaultTimezone: config.defaultTimezone,
    globalWindow: config.callingWindow ?? null,
    menus: config.menus.map((menu) => ({ id: menu.id, name: menu.name, rules: calling.describe(menu.id) })),
  };
}

const NO_WINDOW = 'none: calls at any time';
const SOURCE_LABEL = { menu: "menu's own", global: 'global' } as const;
const DAY_LABEL: Record<Weekday, string> = { mon: 'Mon', tue: 'Tue', wed: 'Wed', thu: 'Thu', fri: 'Fri', sat: 'Sat', sun: 'Sun' };

/** "08:00–21:00"; a window whose start is after its end runs across midnight, which is said. */
export function describeWindow(window: CallingWindow): string {
  const range = `${window.start}–${window.end}`;
  return window.start > window.end ? `${range} (across midnight)` : range;
}

function windowCell(rules: CallingRulesDescription): Markup {
  if (!rules.callingWindow || !rules.callingWindowSource) return markup`<td data-label="Calling window">${NO_WINDOW}</td>`;
  return markup`<td data-label="Calling window">${describeWindow(rules.callingWindow)} <span class="source">(${SOURCE_LABEL[rules.callingWindowSource]})</span></td>`;
}

function hoursCell(hours: BusinessHours | null): Markup {
  if (!hours) return markup`<td data-label="Business hours">always open</td>`;
  const days = WEEKDAYS.map((day) => {
    const ranges = hours.weekly[day] ?? [];
    return ranges.length === 0
      ? markup`<li class="closed"><span class="day">${DAY_LABEL[day]}</span> closed</li>`
      : markup`<li><span class="day">${DAY_LABEL[day]}</span> ${ranges.map(([start, end]) => `${start}–${end}`).join(', ')}</li>`;
  });
  return markup`<td data-label="Business hours">in <span class="zone">${hours.timezone}</span><ul class="week">${days}</ul></td>`;
}

function menuRow(menu: MenuCallingRules): Markup {
  return markup`
          <tr data-menu-id="${menu.id}"><td data-label="Menu"><code>${menu.id}</code> ${menu.name}</td>${windowCell(menu.rules)}${hoursCell(menu.rules.hours)}</tr>`;
}

export function renderCallingRules(overview: CallingRulesOverview): Markup {
  return markup`
    <section class="card" aria-labelledby="calling-title">
      <h2 id="calling-title">Calling window and business hours</h2>
      <p class="hint">A callback is placed only when both hold: the calling window, every day in the customer's local time,
        and the menu's business hours, in the menu's time zone; otherwise it waits for the next allowed time. Each range
        includes its start and excludes its end. Read-only: they come from the configuration file.</p>
      <dl class="facts">
        <dt>Default time zone <span class="aside">(when the customer's is not known)</span></dt><dd id="calling-default-timezone">${overview.defaultTimezone}</dd>
        <dt>Calling window <span class="aside">(unless the menu has its own)</span></dt><dd id="calling-global-window">${overview.globalWindow ? describeWindow(overview.globalWindow) : NO_WINDOW}</dd>
      </dl>
      <table id="calling-menus" class="rules">
        <thead><tr><th scope="col">Menu</th><th scope="col">Calling window</th><th scope="col">Business hours</th></tr></thead>
        <tbody>${overview.menus.map(menuRow)}
        </tbody>
      </table>
    </section>
`;
}
