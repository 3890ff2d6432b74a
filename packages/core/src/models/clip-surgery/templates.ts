/**
 * Prompt templates for the text ensemble: the 7 ImageNet templates CLIP's authors found best as a
 * small ensemble, plus two scene templates from CLIP Surgery's list (it reads scenes, not objects).
 * A manifest may replace them.
 */
export const DEFAULT_TEMPLATES: readonly string[] = [
  "itap of a {}.",
  "a bad photo of the {}.",
  "a origami {}.",
  "a photo of the large {}.",
  "a {} in a video game.",
  "art of the {}.",
  "a photo of the small {}.",
  "there is a {} in the scene.",
  "this is a {} in the scene.",
];

/** The prompts for one text. */
export function applyTemplates(text: string, templates: readonly string[]): string[] {
  return templates.map((t) => t.replaceAll("{}", text));
}
