/**
 * The two string helpers every HTML/SVG writer of the report needs. The report is markup we build
 * ourselves from strings, so every piece of text that came from data (method names, image ids,
 * notes) goes through {@link escapeHtml} exactly once.
 */

const ENTITIES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/**
 * Text safe inside an element or a double-quoted attribute: dataset ids and method names are
 * user-controlled in the service, and a report must never run what it displays.
 * @example escapeHtml('a<b "c"') // "a&lt;b &quot;c&quot;"
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

/**
 * A number for an SVG coordinate: two decimals at most, so that plots stay small and the output is
 * the same on every machine.
 */
export function coord(value: number): string {
  return String(Math.round(value * 100) / 100);
}
