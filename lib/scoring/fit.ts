import type { Grade, Icp, SegmentDefinition, TraitCondition } from '../model/icp.js';
import type { FitResult } from '../model/score.js';
import type { Traits } from '../model/traits.js';
import { type RuleTraits, ruleTraits } from './derived-traits.js';
import { globMatch } from './glob.js';

/** Who they are: deterministic in the traits and the ICP, so it is simply recomputed when either changes. */
export function evaluateFit(icp: Icp, traits: Traits): FitResult {
  const derived = ruleTraits(traits, icp.fit.competitorDomains);
  const contributions = icp.fit.rules
    .filter((rule) => conditionHolds(rule, derived))
    .map((rule) => ({ ruleId: rule.id, reason: rule.reason, points: rule.points }));
  const points = contributions.reduce((total, contribution) => total + contribution.points, 0);
  const disqualifier = icp.fit.disqualifiers.find((rule) => conditionHolds(rule, derived));
  const { A, B, C } = icp.fit.grades;
  const grade: Grade = disqualifier ? 'D' : points >= A ? 'A' : points >= B ? 'B' : points >= C ? 'C' : 'D';
  return { points, grade, disqualifiedBy: disqualifier?.reason ?? null, contributions };
}

export function conditionHolds(condition: TraitCondition, traits: RuleTraits): boolean {
  const value = traits[condition.trait as keyof RuleTraits];
  if (condition.exists !== undefined)
    return (value !== undefined && value !== '' && value !== 'unknown') === condition.exists;
  if (value === undefined || value === '') return false;
  if (condition.between) {
    const number = typeof value === 'number' ? value : Number(value);
    return Number.isFinite(number) && number >= condition.between[0] && number <= condition.between[1];
  }
  const text = String(value).toLowerCase();
  if (condition.in) return condition.in.some((candidate) => candidate.toLowerCase() === text);
  if (condition.glob) return globMatch(condition.glob, String(value));
  return false;
}

export function segmentsOf(
  segments: readonly SegmentDefinition[],
  traits: Traits,
  competitorDomains: readonly string[] = [],
): string[] {
  const derived = ruleTraits(traits, competitorDomains);
  return segments
    .filter((segment) =>
      segment.match === 'all'
        ? segment.conditions.every((condition) => conditionHolds(condition, derived))
        : segment.conditions.some((condition) => conditionHolds(condition, derived)),
    )
    .map((segment) => segment.id)
    .sort();
}
