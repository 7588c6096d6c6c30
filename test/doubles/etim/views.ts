// Rendering of ETIM entities as the API returns them. `include.descriptions` adds description fields in the
// request language (plus `descriptionEn`, class synonyms and unit abbreviations), `include.translations` adds
// every text in each language the account may use, `include.fields` selects the optional class parts
// (Features, Group, Releases, LinkedModellingClasses, LinkedRegularClasses; "Linked*" selects both).
// Optional parts that are not selected are omitted, never null.
import type { ClassFeatureRecord, ClassRecord, ClassVersionRecord, EtimState, Texts } from './model.js';

export interface Include {
  descriptions: boolean;
  translations: boolean;
  /** Lower-cased field names. */
  fields: Set<string>;
}

/**
 * DetailsDiff markers. The API documents the values 0, 1, 2 and 9 without their meaning; the double uses
 * 0 unchanged, 1 new, 2 changed, 9 deleted (relative to the previous version of the class).
 */
export const CHANGE = { unchanged: 0, added: 1, changed: 2, deleted: 9 } as const;
type ChangeCode = (typeof CHANGE)[keyof typeof CHANGE];

type Json = Record<string, unknown>;

export class Views {
  constructor(
    private readonly state: EtimState,
    /** Canonical language code of the request, e.g. "de-DE". */
    private readonly language: string,
    private readonly include: Include,
  ) {}

  private text(texts: Texts): string | undefined {
    return texts[this.language] ?? texts.EN;
  }

  private wants(field: string): boolean {
    const name = field.toLowerCase();
    if (this.include.fields.has(name)) return true;
    return name.startsWith('linked') && this.include.fields.has('linked*');
  }

  /** description (+ descriptionEn) and translations of a simple entity. */
  private describe(target: Json, texts: Texts, withEnglish: boolean): void {
    if (this.include.descriptions) {
      target.description = this.text(texts);
      if (withEnglish) target.descriptionEn = texts.EN;
    }
    if (this.include.translations) {
      target.translations = this.state.allowedLanguages.map((code) => ({ languagecode: code, description: texts[code] ?? texts.EN }));
    }
  }

  group(code: string): Json {
    const record = this.state.groups.get(code)!;
    const body: Json = { code: record.code };
    this.describe(body, record.descriptions, false);
    if (this.wants('Releases')) body.releases = [...record.releases];
    return body;
  }

  featureGroup(code: string): Json {
    const record = this.state.featureGroups.get(code)!;
    const body: Json = { code: record.code };
    this.describe(body, record.descriptions, false);
    return body;
  }

  unit(code: string): Json {
    const record = this.state.units.get(code)!;
    const body: Json = { code: record.code, deprecated: record.deprecated };
    if (this.include.descriptions) {
      body.description = this.text(record.descriptions);
      body.descriptionEn = record.descriptions.EN;
      body.abbreviation = this.text(record.abbreviations);
      body.abbreviationEn = record.abbreviations.EN;
    }
    if (this.include.translations) {
      body.translations = this.state.allowedLanguages.map((language) => ({
        languagecode: language,
        description: record.descriptions[language] ?? record.descriptions.EN,
        abbreviation: record.abbreviations[language] ?? record.abbreviations.EN,
      }));
    }
    return body;
  }

  value(code: string, withEnglish = true): Json {
    const record = this.state.values.get(code)!;
    const body: Json = { code: record.code, deprecated: record.deprecated };
    this.describe(body, record.descriptions, withEnglish);
    return body;
  }

  feature(code: string, withEnglish = false): Json {
    const record = this.state.features.get(code)!;
    const body: Json = { code: record.code, type: record.type, deprecated: record.deprecated };
    this.describe(body, record.descriptions, withEnglish);
    return body;
  }

  /** A class version; `previous` (DetailsDiff only) adds change codes against that version, `null` when there is none. */
  classVersion(record: ClassRecord, version: ClassVersionRecord, options: { details: boolean; previous?: ClassVersionRecord | null } = { details: true }): Json {
    const body: Json = {
      code: record.code,
      version: version.version,
      status: version.status,
      mutationDate: version.mutationDate,
      modelling: record.modelling,
    };
    if (options.details && version.dimensionalDrawingSvgUrl) body.dimensionalDrawingSvgUrl = version.dimensionalDrawingSvgUrl;
    if (this.include.descriptions) {
      body.description = this.text(version.descriptions);
      body.descriptionEn = version.descriptions.EN;
      body.synonyms = [...(version.synonyms[this.language] ?? version.synonyms.EN ?? [])];
    }
    if (this.wants('Group')) body.group = this.group(version.group);
    if (this.wants('Features')) body.features = this.classFeatures(record, version, options.previous);
    if (this.wants('LinkedModellingClasses')) body.linkedModellingClasses = (version.linkedModellingClasses ?? []).map((link) => ({ ...link }));
    if (this.wants('LinkedRegularClasses')) body.linkedRegularClasses = (version.linkedRegularClasses ?? []).map((link) => ({ ...link }));
    if (this.wants('Releases')) body.releases = [...version.releases];
    if (this.include.translations) {
      body.translations = this.state.allowedLanguages.map((code) => ({
        languagecode: code,
        description: version.descriptions[code] ?? version.descriptions.EN,
        synonyms: [...(version.synonyms[code] ?? [])],
      }));
    }
    if (options.previous !== undefined) body.changeCode = classChange(version, options.previous);
    return body;
  }

  private classFeatures(record: ClassRecord, version: ClassVersionRecord, previous: ClassVersionRecord | null | undefined): Json[] {
    const diff = previous !== undefined;
    const before = new Map((previous?.features ?? []).map((entry) => [entry.feature, entry]));
    const rendered = version.features.map((entry) => {
      const old = before.get(entry.feature);
      const change = !diff ? undefined : !old ? CHANGE.added : sameFeature(entry, old) ? CHANGE.unchanged : CHANGE.changed;
      return this.classFeature(record, entry, diff ? (old ?? null) : undefined, change);
    });
    if (diff && previous) {
      const now = new Set(version.features.map((entry) => entry.feature));
      for (const entry of previous.features) {
        if (!now.has(entry.feature)) rendered.push(this.classFeature(record, entry, undefined, CHANGE.deleted));
      }
    }
    return rendered;
  }

  private classFeature(record: ClassRecord, entry: ClassFeatureRecord, old: ClassFeatureRecord | null | undefined, change: ChangeCode | undefined): Json {
    const body: Json = { orderNumber: entry.orderNumber, ...this.feature(entry.feature, true) };
    if (entry.unit) body.unit = this.unit(entry.unit);
    if (entry.unitImperial) body.unitImperial = this.unit(entry.unitImperial);
    if (entry.values) {
      const oldValues = new Map((old?.values ?? []).map((code, index) => [code, index + 1]));
      const values = entry.values.map((code, index) => {
        const value: Json = { orderNumber: index + 1, ...this.value(code, false) };
        if (change !== undefined) {
          const oldOrder = oldValues.get(code);
          value.changeCode =
            change === CHANGE.deleted ? CHANGE.deleted : oldOrder === undefined ? CHANGE.added : oldOrder === index + 1 ? CHANGE.unchanged : CHANGE.changed;
        }
        return value;
      });
      if (change !== undefined && change !== CHANGE.deleted && old?.values) {
        const now = new Set(entry.values);
        old.values.forEach((code, index) => {
          if (now.has(code)) return;
          values.push({ orderNumber: index + 1, ...this.value(code, false), changeCode: CHANGE.deleted });
        });
      }
      body.values = values;
    }
    if (record.modelling && entry.portcode !== undefined) body.portcode = entry.portcode;
    if (change !== undefined) body.changeCode = change;
    return body;
  }
}

function sameFeature(a: ClassFeatureRecord, b: ClassFeatureRecord): boolean {
  return (
    a.orderNumber === b.orderNumber &&
    a.unit === b.unit &&
    a.unitImperial === b.unitImperial &&
    a.portcode === b.portcode &&
    (a.values ?? []).join() === (b.values ?? []).join()
  );
}

function classChange(version: ClassVersionRecord, previous: ClassVersionRecord | null): ChangeCode {
  if (!previous) return CHANGE.added;
  const same =
    version.status === previous.status &&
    version.group === previous.group &&
    JSON.stringify(version.descriptions) === JSON.stringify(previous.descriptions) &&
    JSON.stringify(version.synonyms) === JSON.stringify(previous.synonyms) &&
    version.features.length === previous.features.length &&
    version.features.every((entry, index) => entry.feature === previous.features[index]!.feature && sameFeature(entry, previous.features[index]!));
  return same ? CHANGE.unchanged : CHANGE.changed;
}
