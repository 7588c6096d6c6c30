// The data model of the ETIM double: plain records keyed by ETIM code, with every text held per language.
// Rendering (language choice, `include` handling, diff markers) lives in ./views.ts.

/** Text per language code, e.g. { EN: 'LED lamp', 'de-DE': 'LED-Lampe', 'nl-NL': 'LED-lamp' }. */
export type Texts = Record<string, string>;

export interface LanguageRecord {
  code: string;
  description: string;
}

export interface ReleaseRecord {
  id: number;
  /** The release name, e.g. "ETIM-9.0" or "DYNAMIC": what DetailsForRelease and Release filters expect. */
  description: string;
}

export interface GroupRecord {
  code: string; // EG + 6 digits
  descriptions: Texts;
  releases: string[];
}

export interface FeatureGroupRecord {
  code: string; // EFG + 5 digits
  descriptions: Texts;
}

export interface UnitRecord {
  code: string; // EU + 6 digits
  deprecated: boolean;
  descriptions: Texts;
  abbreviations: Texts;
}

export interface ValueRecord {
  code: string; // EV + 6 digits
  deprecated: boolean;
  descriptions: Texts;
}

export type FeatureType = 'A' | 'L' | 'N' | 'R';

export interface FeatureRecord {
  code: string; // EF + 6 digits
  type: FeatureType;
  deprecated: boolean;
  descriptions: Texts;
}

/** One feature as used in one class version. */
export interface ClassFeatureRecord {
  feature: string;
  orderNumber: number;
  /** N and R features only. */
  unit?: string;
  unitImperial?: string;
  /** A features only: value codes in order. */
  values?: string[];
  /** Modelling classes only. */
  portcode?: number;
}

export type ClassStatus = 2 | 3 | 5 | 9;

export interface ClassVersionRecord {
  version: number;
  status: ClassStatus;
  /** ISO without zone, as ETIM sends it: "2022-05-26T07:16:06.467". */
  mutationDate: string;
  descriptions: Texts;
  synonyms: Record<string, string[]>;
  group: string;
  /** Release names in which this version is the valid one. */
  releases: string[];
  features: ClassFeatureRecord[];
  linkedModellingClasses?: Array<{ code: string; version: number }>;
  linkedRegularClasses?: Array<{ code: string; version: number }>;
  dimensionalDrawingSvgUrl?: string;
}

export interface ClassRecord {
  code: string; // EC or MC + 6 digits
  modelling: boolean;
  /** Ascending by version. */
  versions: ClassVersionRecord[];
}

export interface EtimState {
  languages: LanguageRecord[];
  /** Codes of the languages this account may use (Misc/LanguagesAllowed, translations, languagecode checks). */
  allowedLanguages: string[];
  releases: ReleaseRecord[];
  groups: Map<string, GroupRecord>;
  featureGroups: Map<string, FeatureGroupRecord>;
  units: Map<string, UnitRecord>;
  values: Map<string, ValueRecord>;
  features: Map<string, FeatureRecord>;
  classes: Map<string, ClassRecord>;
}

export function latestVersion(record: ClassRecord): ClassVersionRecord {
  return record.versions[record.versions.length - 1]!;
}

export function findVersion(record: ClassRecord, version: number): ClassVersionRecord | undefined {
  return record.versions.find((candidate) => candidate.version === version);
}

export function versionInRelease(record: ClassRecord, release: string): ClassVersionRecord | undefined {
  const wanted = release.toUpperCase();
  return record.versions.find((candidate) => candidate.releases.some((name) => name.toUpperCase() === wanted));
}
