// Deterministic seed data for the ETIM double. All codes are synthetic (the 99xxxx range is not used by ETIM)
// and every text exists in the account's three languages (EN, de-DE, nl-NL).
//
// Notable records:
//   EC990001  LED lamp: versions 1 (ETIM-8.0), 2 (ETIM-9.0), 3 (ETIM-10.0 + DYNAMIC); features and values added,
//             changed and removed between versions, so DetailsDiff shows every change code.
//   EC990002  Cable tie: one version valid in every release; uses the deprecated feature EF990014.
//   EC990003  Miniature circuit breaker: v1 (ETIM-9.0), v2 (ETIM-10.0 + DYNAMIC).
//   EC990004  Junction box: uses the deprecated value EV990004.
//   EC990005  Downlight: v1 (ETIM-8.0 + ETIM-9.0), v2 (ETIM-10.0 + DYNAMIC) linked to modelling class MC990001.
//   EC990006  Control cabinet: 130 features (feature paging and response-size trimming).
//   EC990007  Fluorescent lamp starter: v1 (ETIM-4.0 … ETIM-8.0), v2 status 9 (deleted, in no release).
//   EC990008  Cable gland: one version (ETIM-10.0 + DYNAMIC).
//   MC990001  Downlight, modelling class: drawing URL, port codes, linked back to EC990005 v2.
//   EF990001-EF990017 hand-made features of all four types (EF990014 deprecated); EF990018-EF990140 generated.
//   EU990002 (inch) and EU990006 (degree Fahrenheit) are the imperial pairs of EU990001 and EU990005.
import type {
  ClassFeatureRecord,
  ClassRecord,
  ClassVersionRecord,
  EtimState,
  FeatureGroupRecord,
  FeatureRecord,
  FeatureType,
  GroupRecord,
  LanguageRecord,
  ReleaseRecord,
  Texts,
  UnitRecord,
  ValueRecord,
} from './model.js';

const t = (en: string, de: string, nl: string): Texts => ({ EN: en, 'de-DE': de, 'nl-NL': nl });

export const LANGUAGES: LanguageRecord[] = [
  { code: 'EN', description: 'ETIM English' },
  { code: 'de-DE', description: 'German' },
  { code: 'nl-NL', description: 'Dutch' },
  { code: 'nl-BE', description: 'Belgian Flemish' },
  { code: 'fr-BE', description: 'Belgian French' },
  { code: 'fr-FR', description: 'French' },
  { code: 'fi-FI', description: 'Finnish' },
  { code: 'it-IT', description: 'Italian' },
  { code: 'nb-NO', description: 'Norwegian' },
  { code: 'sv-SE', description: 'Swedish' },
  { code: 'da-DK', description: 'Danish' },
  { code: 'es-ES', description: 'Spanish' },
  { code: 'pt-PT', description: 'Portuguese' },
  { code: 'pl-PL', description: 'Polish' },
  { code: 'cs-CZ', description: 'Czech' },
  { code: 'sk-SK', description: 'Slovak' },
  { code: 'de-AT', description: 'Austrian German' },
  { code: 'de-CH', description: 'Swiss German' },
  { code: 'fr-CH', description: 'Swiss French' },
  { code: 'it-CH', description: 'Swiss Italian' },
  { code: 'en-GB', description: 'British English' },
  { code: 'et-EE', description: 'Estonian' },
  { code: 'ru-RU', description: 'Russian' },
];

export const ALLOWED_LANGUAGES = ['EN', 'de-DE', 'nl-NL'];

export const RELEASES: ReleaseRecord[] = [
  { id: 1, description: 'DYNAMIC' },
  { id: 2, description: 'ETIM-4.0' },
  { id: 3, description: 'ETIM-5.0' },
  { id: 4, description: 'ETIM-6.0' },
  { id: 5, description: 'ETIM-7.0' },
  { id: 6, description: 'ETIM-8.0' },
  { id: 7, description: 'ETIM-9.0' },
  { id: 8, description: 'ETIM-10.0' },
];

const ALL_RELEASES = RELEASES.map((release) => release.description);
const CURRENT = ['ETIM-10.0', 'DYNAMIC'];

const GROUPS: GroupRecord[] = [
  { code: 'EG990001', descriptions: t('Lamps and luminaires', 'Lampen und Leuchten', 'Lampen en armaturen'), releases: ALL_RELEASES },
  { code: 'EG990002', descriptions: t('Installation material', 'Installationsmaterial', 'Installatiemateriaal'), releases: ALL_RELEASES },
  { code: 'EG990003', descriptions: t('Protection devices', 'Schutzgeräte', 'Beveiligingsapparatuur'), releases: ['ETIM-9.0', ...CURRENT] },
  { code: 'EG990004', descriptions: t('Enclosures and cabinets', 'Gehäuse und Schaltschränke', 'Behuizingen en kasten'), releases: CURRENT },
];

const FEATURE_GROUPS: FeatureGroupRecord[] = [
  { code: 'EFG99001', descriptions: t('Electrical properties', 'Elektrische Eigenschaften', 'Elektrische eigenschappen') },
  { code: 'EFG99002', descriptions: t('Dimensions', 'Abmessungen', 'Afmetingen') },
  { code: 'EFG99003', descriptions: t('Light technical properties', 'Lichttechnische Eigenschaften', 'Lichttechnische eigenschappen') },
];

const unit = (code: string, descriptions: Texts, abbreviation: string, deprecated = false): UnitRecord => ({
  code,
  deprecated,
  descriptions,
  abbreviations: { EN: abbreviation, 'de-DE': abbreviation, 'nl-NL': abbreviation },
});

const UNITS: UnitRecord[] = [
  unit('EU990001', t('millimetre', 'Millimeter', 'millimeter'), 'mm'),
  unit('EU990002', t('inch', 'Zoll', 'inch'), 'in'),
  unit('EU990003', t('watt', 'Watt', 'watt'), 'W'),
  unit('EU990004', t('volt', 'Volt', 'volt'), 'V'),
  unit('EU990005', t('degree Celsius', 'Grad Celsius', 'graden Celsius'), '°C'),
  unit('EU990006', t('degree Fahrenheit', 'Grad Fahrenheit', 'graden Fahrenheit'), '°F'),
  unit('EU990007', t('lumen', 'Lumen', 'lumen'), 'lm'),
  unit('EU990008', t('candle power (obsolete)', 'Kerzenstärke (veraltet)', 'kaarssterkte (vervallen)'), 'cp', true),
  unit('EU990009', t('ampere', 'Ampere', 'ampère'), 'A'),
  unit('EU990010', t('kelvin', 'Kelvin', 'kelvin'), 'K'),
];

const value = (code: string, descriptions: Texts, deprecated = false): ValueRecord => ({ code, deprecated, descriptions });

const VALUES: ValueRecord[] = [
  value('EV990001', t('white', 'weiß', 'wit')),
  value('EV990002', t('black', 'schwarz', 'zwart')),
  value('EV990003', t('grey', 'grau', 'grijs')),
  value('EV990004', t('silver (obsolete)', 'silber (veraltet)', 'zilver (vervallen)'), true),
  value('EV990005', t('red', 'rot', 'rood')),
  value('EV990006', t('polyamide', 'Polyamid', 'polyamide')),
  value('EV990007', t('polycarbonate', 'Polycarbonat', 'polycarbonaat')),
  value('EV990008', t('steel', 'Stahl', 'staal')),
  value('EV990009', t('E27', 'E27', 'E27')),
  value('EV990010', t('GU10', 'GU10', 'GU10')),
  value('EV990011', t('B characteristic', 'B-Charakteristik', 'B-karakteristiek')),
  value('EV990012', t('C characteristic', 'C-Charakteristik', 'C-karakteristiek')),
  value('EV990013', t('surface mounted', 'Aufputz', 'opbouw')),
  value('EV990014', t('flush mounted', 'Unterputz', 'inbouw')),
];

const feature = (code: string, type: FeatureType, descriptions: Texts, deprecated = false): FeatureRecord => ({ code, type, deprecated, descriptions });

const HAND_MADE_FEATURES: FeatureRecord[] = [
  feature('EF990001', 'A', t('Colour', 'Farbe', 'Kleur')),
  feature('EF990002', 'N', t('Power', 'Leistung', 'Vermogen')),
  feature('EF990003', 'L', t('Dimmable', 'Dimmbar', 'Dimbaar')),
  feature('EF990004', 'R', t('Voltage', 'Spannung', 'Spanning')),
  feature('EF990005', 'N', t('Length', 'Länge', 'Lengte')),
  feature('EF990006', 'A', t('Lamp holder', 'Lampenfassung', 'Lampvoet')),
  feature('EF990007', 'N', t('Luminous flux', 'Lichtstrom', 'Lichtstroom')),
  feature('EF990008', 'A', t('Material', 'Werkstoff', 'Materiaal')),
  feature('EF990009', 'R', t('Ambient temperature', 'Umgebungstemperatur', 'Omgevingstemperatuur')),
  feature('EF990010', 'N', t('Rated current', 'Bemessungsstrom', 'Nominale stroom')),
  feature('EF990011', 'A', t('Tripping characteristic', 'Auslösecharakteristik', 'Uitschakelkarakteristiek')),
  feature('EF990012', 'A', t('Mounting method', 'Montageart', 'Montagewijze')),
  feature('EF990013', 'L', t('Halogen free', 'Halogenfrei', 'Halogeenvrij')),
  feature('EF990014', 'N', t('Packing unit (obsolete)', 'Verpackungseinheit (veraltet)', 'Verpakkingseenheid (vervallen)'), true),
  feature('EF990015', 'N', t('Width', 'Breite', 'Breedte')),
  feature('EF990016', 'N', t('Height', 'Höhe', 'Hoogte')),
  feature('EF990017', 'N', t('Colour temperature', 'Farbtemperatur', 'Kleurtemperatuur')),
];

const GENERATED_TYPES: FeatureType[] = ['A', 'L', 'N', 'R'];
export const FIRST_GENERATED_FEATURE = 18;
export const LAST_GENERATED_FEATURE = 140;

const code6 = (prefix: string, n: number) => `${prefix}99${String(n).padStart(4, '0')}`;

function generatedFeatures(): FeatureRecord[] {
  const features: FeatureRecord[] = [];
  for (let n = FIRST_GENERATED_FEATURE; n <= LAST_GENERATED_FEATURE; n += 1) {
    const number = String(n).padStart(3, '0');
    features.push(
      feature(code6('EF', n), GENERATED_TYPES[n % 4]!, t(`Cabinet property ${number}`, `Schrankeigenschaft ${number}`, `Kasteigenschap ${number}`)),
    );
  }
  return features;
}

// Class features: `cf` for the short form used in the version tables below.
const cf = (orderNumber: number, code: string, extra: Omit<ClassFeatureRecord, 'feature' | 'orderNumber'> = {}): ClassFeatureRecord => ({
  orderNumber,
  feature: code,
  ...extra,
});

const version = (
  number: number,
  mutationDate: string,
  releases: string[],
  base: Pick<ClassVersionRecord, 'descriptions' | 'synonyms' | 'group'>,
  features: ClassFeatureRecord[],
  extra: Partial<ClassVersionRecord> = {},
): ClassVersionRecord => ({ version: number, status: 5, mutationDate, releases, ...base, features, ...extra });

function classes(): ClassRecord[] {
  const ledLamp = {
    descriptions: t('LED lamp', 'LED-Lampe', 'LED-lamp'),
    synonyms: { EN: ['LED bulb', 'LED retrofit lamp'], 'de-DE': ['LED-Leuchtmittel'], 'nl-NL': ['LED-peer'] },
    group: 'EG990001',
  };
  const cableTie = {
    descriptions: t('Cable tie', 'Kabelbinder', 'Kabelbinder'),
    synonyms: { EN: ['Zip tie', 'Tie wrap'], 'de-DE': ['Kabelband'], 'nl-NL': ['Tie-wrap'] },
    group: 'EG990002',
  };
  const breaker = {
    descriptions: t('Miniature circuit breaker', 'Leitungsschutzschalter', 'Installatieautomaat'),
    synonyms: { EN: ['MCB'], 'de-DE': ['LS-Schalter'], 'nl-NL': ['Automaat'] },
    group: 'EG990003',
  };
  const junctionBox = {
    descriptions: t('Junction box', 'Abzweigdose', 'Aftakdoos'),
    synonyms: { EN: ['Connection box'], 'de-DE': ['Verbindungsdose'], 'nl-NL': ['Lasdoos'] },
    group: 'EG990002',
  };
  const downlight = {
    descriptions: t('Downlight', 'Einbauleuchte', 'Inbouwarmatuur'),
    synonyms: { EN: ['Recessed spotlight'], 'de-DE': ['Einbaustrahler'], 'nl-NL': ['Inbouwspot'] },
    group: 'EG990001',
  };
  const cabinet = {
    descriptions: t('Control cabinet', 'Schaltschrank', 'Schakelkast'),
    synonyms: { EN: ['Switch cabinet', 'Enclosure'], 'de-DE': ['Verteilerschrank'], 'nl-NL': ['Verdeelkast'] },
    group: 'EG990004',
  };
  const starter = {
    descriptions: t('Fluorescent lamp starter', 'Starter für Leuchtstofflampen', 'Starter voor tl-lampen'),
    synonyms: { EN: ['Glow starter'], 'de-DE': ['Glimmstarter'], 'nl-NL': ['Glimstarter'] },
    group: 'EG990001',
  };
  const gland = {
    descriptions: t('Cable gland', 'Kabelverschraubung', 'Kabelwartel'),
    synonyms: { EN: ['Cable entry', 'Cord grip'], 'de-DE': ['Kabeleinführung'], 'nl-NL': ['Wartel'] },
    group: 'EG990002',
  };
  const modellingDownlight = {
    descriptions: t('Downlight (modelling)', 'Einbauleuchte (Modellierung)', 'Inbouwarmatuur (modellering)'),
    synonyms: { EN: [], 'de-DE': [], 'nl-NL': [] },
    group: 'EG990001',
  };

  const millimetre = { unit: 'EU990001', unitImperial: 'EU990002' };
  const celsius = { unit: 'EU990005', unitImperial: 'EU990006' };

  const cabinetFeatures: ClassFeatureRecord[] = [
    cf(1, 'EF990005', millimetre),
    cf(2, 'EF990015', millimetre),
    cf(3, 'EF990016', millimetre),
    cf(4, 'EF990008', { values: ['EV990008', 'EV990007'] }),
    cf(5, 'EF990001', { values: ['EV990003', 'EV990001'] }),
    cf(6, 'EF990009', celsius),
    cf(7, 'EF990013'),
  ];
  for (let n = FIRST_GENERATED_FEATURE; n <= LAST_GENERATED_FEATURE; n += 1) {
    const type = GENERATED_TYPES[n % 4]!;
    const extra = type === 'A' ? { values: ['EV990001', 'EV990002'] } : type === 'N' || type === 'R' ? { unit: 'EU990001' } : {};
    cabinetFeatures.push(cf(cabinetFeatures.length + 1, code6('EF', n), extra));
  }

  return [
    {
      code: 'EC990001',
      modelling: false,
      versions: [
        version(1, '2019-06-14T09:12:44.123', ['ETIM-8.0'], ledLamp, [
          cf(1, 'EF990001', { values: ['EV990001', 'EV990002', 'EV990004'] }),
          cf(2, 'EF990002', { unit: 'EU990003' }),
          cf(3, 'EF990003'),
          cf(4, 'EF990006', { values: ['EV990009'] }),
        ]),
        version(2, '2021-11-02T13:45:10.5', ['ETIM-9.0'], ledLamp, [
          cf(1, 'EF990001', { values: ['EV990001', 'EV990002', 'EV990003'] }),
          cf(2, 'EF990002', { unit: 'EU990003' }),
          cf(3, 'EF990003'),
          cf(4, 'EF990006', { values: ['EV990009', 'EV990010'] }),
          cf(5, 'EF990004', { unit: 'EU990004' }),
        ]),
        version(3, '2023-12-15T08:30:00', CURRENT, ledLamp, [
          cf(1, 'EF990001', { values: ['EV990001', 'EV990002', 'EV990003', 'EV990005'] }),
          cf(2, 'EF990002', { unit: 'EU990003' }),
          cf(4, 'EF990006', { values: ['EV990009', 'EV990010'] }),
          cf(5, 'EF990004', { unit: 'EU990004' }),
          cf(6, 'EF990005', millimetre),
          cf(7, 'EF990007', { unit: 'EU990007' }),
        ]),
      ],
    },
    {
      code: 'EC990002',
      modelling: false,
      versions: [
        version(1, '2011-03-01T10:00:00', ALL_RELEASES, cableTie, [
          cf(1, 'EF990008', { values: ['EV990006', 'EV990008'] }),
          cf(2, 'EF990001', { values: ['EV990001', 'EV990002'] }),
          cf(3, 'EF990005', millimetre),
          cf(4, 'EF990015', millimetre),
          cf(5, 'EF990013'),
          cf(6, 'EF990009', celsius),
          cf(7, 'EF990014'),
        ]),
      ],
    },
    {
      code: 'EC990003',
      modelling: false,
      versions: [
        version(1, '2020-09-30T11:20:00.25', ['ETIM-9.0'], breaker, [
          cf(1, 'EF990010', { unit: 'EU990009' }),
          cf(2, 'EF990011', { values: ['EV990011', 'EV990012'] }),
          cf(3, 'EF990004', { unit: 'EU990004' }),
        ]),
        version(2, '2023-10-05T07:05:33.9', CURRENT, breaker, [
          cf(1, 'EF990010', { unit: 'EU990009' }),
          cf(2, 'EF990011', { values: ['EV990011', 'EV990012'] }),
          cf(3, 'EF990004', { unit: 'EU990004' }),
          cf(4, 'EF990016', millimetre),
        ]),
      ],
    },
    {
      code: 'EC990004',
      modelling: false,
      versions: [
        version(1, '2023-11-20T15:00:00', CURRENT, junctionBox, [
          cf(1, 'EF990012', { values: ['EV990013', 'EV990014'] }),
          cf(2, 'EF990008', { values: ['EV990007'] }),
          cf(3, 'EF990001', { values: ['EV990003', 'EV990004'] }),
        ]),
      ],
    },
    {
      code: 'EC990005',
      modelling: false,
      versions: [
        version(1, '2018-02-12T12:00:00', ['ETIM-8.0', 'ETIM-9.0'], downlight, [
          cf(1, 'EF990002', { unit: 'EU990003' }),
          cf(2, 'EF990006', { values: ['EV990010'] }),
          cf(3, 'EF990007', { unit: 'EU990007' }),
          cf(4, 'EF990012', { values: ['EV990013', 'EV990014'] }),
        ]),
        version(
          2,
          '2023-12-01T09:00:00',
          CURRENT,
          downlight,
          [
            cf(1, 'EF990002', { unit: 'EU990003' }),
            cf(2, 'EF990006', { values: ['EV990010'] }),
            cf(3, 'EF990007', { unit: 'EU990007' }),
            cf(4, 'EF990012', { values: ['EV990013', 'EV990014'] }),
            cf(5, 'EF990017', { unit: 'EU990010' }),
          ],
          { linkedModellingClasses: [{ code: 'MC990001', version: 1 }] },
        ),
      ],
    },
    {
      code: 'EC990006',
      modelling: false,
      versions: [version(1, '2024-01-10T10:10:10.1', CURRENT, cabinet, cabinetFeatures)],
    },
    {
      code: 'EC990007',
      modelling: false,
      versions: [
        version(1, '2009-05-05T08:00:00', ['ETIM-4.0', 'ETIM-5.0', 'ETIM-6.0', 'ETIM-7.0', 'ETIM-8.0'], starter, [
          cf(1, 'EF990002', { unit: 'EU990003' }),
          cf(2, 'EF990004', { unit: 'EU990004' }),
        ]),
        version(2, '2021-06-30T16:45:00', [], starter, [cf(1, 'EF990002', { unit: 'EU990003' }), cf(2, 'EF990004', { unit: 'EU990004' })], { status: 9 }),
      ],
    },
    {
      code: 'EC990008',
      modelling: false,
      versions: [
        version(1, '2023-11-21T10:30:00', CURRENT, gland, [
          cf(1, 'EF990008', { values: ['EV990006', 'EV990008'] }),
          cf(2, 'EF990001', { values: ['EV990002', 'EV990003'] }),
          cf(3, 'EF990009', celsius),
        ]),
      ],
    },
    {
      code: 'MC990001',
      modelling: true,
      versions: [
        version(
          1,
          '2023-12-01T09:00:00',
          CURRENT,
          modellingDownlight,
          [cf(1, 'EF990015', { ...millimetre, portcode: 0 }), cf(2, 'EF990016', { ...millimetre, portcode: 0 }), cf(3, 'EF990005', { ...millimetre, portcode: 1 })],
          { linkedRegularClasses: [{ code: 'EC990005', version: 2 }], dimensionalDrawingSvgUrl: 'https://etim.invalid/drawings/MC990001.svg' },
        ),
      ],
    },
  ];
}

const byCode = <T extends { code: string }>(records: T[]) => new Map(records.map((record) => [record.code, record]));

/** A fresh copy of the seed, so tests that change the state do not affect each other. */
export function seed(allowedLanguages: string[] = ALLOWED_LANGUAGES): EtimState {
  return {
    languages: LANGUAGES.map((language) => ({ ...language })),
    allowedLanguages: [...allowedLanguages],
    releases: RELEASES.map((release) => ({ ...release })),
    groups: byCode(structuredClone(GROUPS)),
    featureGroups: byCode(structuredClone(FEATURE_GROUPS)),
    units: byCode(structuredClone(UNITS)),
    values: byCode(structuredClone(VALUES)),
    features: byCode([...structuredClone(HAND_MADE_FEATURES), ...generatedFeatures()]),
    classes: byCode(classes()),
  };
}

/** Seeded codes, for tests that need them without a search. */
export const ETIM_CODES = {
  classes: {
    ledLamp: 'EC990001',
    cableTie: 'EC990002',
    circuitBreaker: 'EC990003',
    junctionBox: 'EC990004',
    downlight: 'EC990005',
    controlCabinet: 'EC990006',
    deletedStarter: 'EC990007',
    cableGland: 'EC990008',
    modellingDownlight: 'MC990001',
  },
  /** The class with 130 features. */
  largeClass: 'EC990006',
  largeClassFeatureCount: 130,
  groups: ['EG990001', 'EG990002', 'EG990003', 'EG990004'],
  featureGroups: ['EFG99001', 'EFG99002', 'EFG99003'],
  featureCount: 140,
  deprecatedFeature: 'EF990014',
  deprecatedValue: 'EV990004',
  deprecatedUnit: 'EU990008',
  /** Metric unit → its imperial pair, as shown in class features. */
  imperialPairs: { EU990001: 'EU990002', EU990005: 'EU990006' },
  featureTypes: { A: 'EF990001', L: 'EF990003', N: 'EF990002', R: 'EF990004' },
} as const;
