import { generateKeyPairSync } from "node:crypto";
import type { Db } from "./client.ts";
import { hashPassword, hashToken, type ScryptParams } from "./secrets.ts";
import { addDays, dayInZone, zonedTimeToUtc } from "./time-zone.ts";

export interface SeedOptions {
  /** "Now" for slot generation; injected so tests are repeatable. */
  now: Date;
  /** How many days of slots to create from today on. */
  days?: number;
  adminEmail?: string;
  adminPassword: string;
  /** scrypt parameters for the admin's password hash (default: PASSWORD_HASH_PARAMS, OWASP). Tests pass cheaper ones. */
  passwordParams?: ScryptParams;
  /** Pairing code for the demo kiosk; stored hashed. */
  kioskPairingCode: string;
  /** Ed25519 private keys (PKCS#8 PEM) per attraction id, created when missing. */
  ticketKeys?: Record<string, string>;
}

export interface SeedResult {
  attractionIds: string[];
  kioskId: string;
  adminEmail: string;
  /** PKCS#8 PEM private keys for attractions whose key this run created. Store them outside the database. */
  createdTicketKeys: Record<string, string>;
  slotsCreated: number;
}

interface TicketTypeSeed {
  code: string;
  name: Record<string, string>;
  priceMinor: number;
  validityKind: "date" | "slot";
}

interface AttractionSeed {
  id: string;
  slug: string;
  name: Record<string, string>;
  currency: string;
  timezone: string;
  timedSlots: { from: string; to: string; everyMinutes: number; capacity: number };
  dayCapacity: number;
  ticketTypes: TicketTypeSeed[];
  /** Alipay merchant fields (extend_info) its pays carry; demo values the sandbox accepts. */
  merchant: { secondaryMerchantId: string; storeId: string };
}

/** Two demo attractions: one priced in a currency with cents (SGD), one without (JPY). */
export const DEMO_ATTRACTIONS: readonly AttractionSeed[] = [
  {
    id: "attr_skyline",
    slug: "skyline-observation-deck",
    name: {
      en: "Skyline Observation Deck",
      "zh-Hans": "天际线观景台",
      "zh-Hant": "天際線觀景台",
      ja: "スカイライン展望台",
      ko: "스카이라인 전망대",
    },
    currency: "SGD",
    timezone: "Asia/Singapore",
    merchant: { secondaryMerchantId: "SKYLINE_DECK", storeId: "SKY-MAIN" },
    timedSlots: { from: "10:00", to: "22:00", everyMinutes: 60, capacity: 40 },
    dayCapacity: 400,
    ticketTypes: [
      {
        code: "ADULT",
        name: { en: "Adult", "zh-Hans": "成人", "zh-Hant": "成人", ja: "大人", ko: "성인" },
        priceMinor: 3200,
        validityKind: "slot",
      },
      {
        code: "CHILD",
        name: {
          en: "Child (3–12)",
          "zh-Hans": "儿童（3–12岁）",
          "zh-Hant": "兒童（3–12歲）",
          ja: "子ども（3〜12歳）",
          ko: "어린이 (3–12세)",
        },
        priceMinor: 2450,
        validityKind: "slot",
      },
      {
        code: "SENIOR",
        name: {
          en: "Senior (60+)",
          "zh-Hans": "长者（60岁以上）",
          "zh-Hant": "長者（60歲以上）",
          ja: "シニア（60歳以上）",
          ko: "경로 (60세 이상)",
        },
        priceMinor: 2695,
        validityKind: "slot",
      },
      {
        code: "FLEXI",
        name: {
          en: "Flexi day pass",
          "zh-Hans": "全天通票",
          "zh-Hant": "全日通票",
          ja: "1日フリーパス",
          ko: "자유 이용권",
        },
        priceMinor: 4500,
        validityKind: "date",
      },
    ],
  },
  {
    id: "attr_museum",
    slug: "harbour-art-museum",
    name: {
      en: "Harbour Art Museum",
      "zh-Hans": "海港美术馆",
      "zh-Hant": "海港美術館",
      ja: "ハーバー美術館",
      ko: "하버 미술관",
    },
    currency: "JPY",
    timezone: "Asia/Tokyo",
    merchant: { secondaryMerchantId: "HARBOUR_MUSEUM", storeId: "MUSEUM-MAIN" },
    timedSlots: { from: "09:30", to: "17:30", everyMinutes: 30, capacity: 25 },
    dayCapacity: 600,
    ticketTypes: [
      {
        code: "GENERAL",
        name: { en: "General admission", "zh-Hans": "普通门票", "zh-Hant": "一般門票", ja: "一般", ko: "일반 입장" },
        priceMinor: 1800,
        validityKind: "date",
      },
      {
        code: "STUDENT",
        name: { en: "Student", "zh-Hans": "学生", "zh-Hant": "學生", ja: "学生", ko: "학생" },
        priceMinor: 1200,
        validityKind: "date",
      },
      {
        code: "SPECIAL",
        name: {
          en: "Special exhibition (timed)",
          "zh-Hans": "特展（定时入场）",
          "zh-Hant": "特展（定時入場）",
          ja: "特別展（時間指定）",
          ko: "특별전 (시간 지정)",
        },
        priceMinor: 2500,
        validityKind: "slot",
      },
    ],
  },
];

export const DEMO_KIOSK_ID = "kiosk_lobby_1";
/** The demo ticket window where cashiers sell (counter sale, staff console). */
export const DEMO_COUNTER_ID = "counter_window_1";

function minutes(hhmm: string): number {
  const [h, m] = hhmm.split(":").map(Number) as [number, number];
  return h * 60 + m;
}
function hhmm(total: number): string {
  return `${String(Math.floor(total / 60)).padStart(2, "0")}:${String(total % 60).padStart(2, "0")}`;
}

/** Idempotent: running it again adds only what is missing (new days' slots, say) and changes nothing else. */
export async function seed(db: Db, options: SeedOptions): Promise<SeedResult> {
  const days = options.days ?? 30;
  const adminEmail = options.adminEmail ?? "admin@example.com";
  const createdTicketKeys: Record<string, string> = {};
  let slotsCreated = 0;

  for (const a of DEMO_ATTRACTIONS) {
    const existing = await db.attraction.findUnique({ where: { id: a.id } });
    if (!existing) {
      let publicPem: string;
      const provided = options.ticketKeys?.[a.id];
      if (provided) {
        const { createPrivateKey, createPublicKey } = await import("node:crypto");
        publicPem = createPublicKey(createPrivateKey(provided)).export({ type: "spki", format: "pem" }).toString();
      } else {
        const pair = generateKeyPairSync("ed25519");
        publicPem = pair.publicKey.export({ type: "spki", format: "pem" }).toString();
        createdTicketKeys[a.id] = pair.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
      }
      await db.attraction.create({
        data: {
          id: a.id,
          slug: a.slug,
          name: a.name.en ?? a.slug,
          nameI18n: JSON.stringify(a.name),
          currency: a.currency,
          timezone: a.timezone,
          ticketKeyId: `${a.id}-k1`,
          ticketPublicKey: publicPem,
          secondaryMerchantId: a.merchant.secondaryMerchantId,
          storeId: a.merchant.storeId,
        },
      });
    }
    for (const [i, t] of a.ticketTypes.entries()) {
      await db.ticketType.upsert({
        where: { attractionId_code: { attractionId: a.id, code: t.code } },
        update: {},
        create: {
          id: `tt_${a.id.slice(5)}_${t.code.toLowerCase()}`,
          attractionId: a.id,
          code: t.code,
          name: t.name.en ?? t.code,
          nameI18n: JSON.stringify(t.name),
          priceMinor: t.priceMinor,
          validityKind: t.validityKind,
          sortOrder: i,
        },
      });
    }
    const today = dayInZone(options.now.getTime(), a.timezone);
    const rows: {
      id: string;
      attractionId: string;
      kind: string;
      day: string;
      startsAt: Date;
      endsAt: Date;
      capacity: number;
    }[] = [];
    for (let d = 0; d < days; d++) {
      const day = addDays(today, d);
      const dayStart = zonedTimeToUtc(day, "00:00", a.timezone);
      rows.push({
        id: `slot_${a.id.slice(5)}_${day}_day`,
        attractionId: a.id,
        kind: "day",
        day,
        startsAt: dayStart,
        endsAt: zonedTimeToUtc(addDays(day, 1), "00:00", a.timezone),
        capacity: a.dayCapacity,
      });
      const { from, to, everyMinutes, capacity } = a.timedSlots;
      for (let m = minutes(from); m + everyMinutes <= minutes(to); m += everyMinutes) {
        rows.push({
          id: `slot_${a.id.slice(5)}_${day}_${hhmm(m).replace(":", "")}`,
          attractionId: a.id,
          kind: "timed",
          day,
          startsAt: zonedTimeToUtc(day, hhmm(m), a.timezone),
          endsAt: zonedTimeToUtc(day, hhmm(m + everyMinutes), a.timezone),
          capacity,
        });
      }
    }
    const have = new Set(
      (await db.slot.findMany({ where: { attractionId: a.id, day: { gte: today } }, select: { id: true } })).map(
        (s) => s.id,
      ),
    );
    const missing = rows.filter((r) => !have.has(r.id));
    if (missing.length > 0) {
      await db.slot.createMany({ data: missing });
      slotsCreated += missing.length;
    }
  }

  await db.kiosk.upsert({
    where: { id: DEMO_KIOSK_ID },
    update: {},
    create: {
      id: DEMO_KIOSK_ID,
      attractionId: "attr_skyline",
      name: "Lobby kiosk 1",
      location: "Ground floor lobby",
      pairingCodeHash: hashToken(options.kioskPairingCode),
      pairingExpiresAt: new Date(options.now.getTime() + 365 * 86_400_000),
    },
  });

  await db.counter.upsert({
    where: { id: DEMO_COUNTER_ID },
    update: {},
    create: {
      id: DEMO_COUNTER_ID,
      attractionId: "attr_skyline",
      name: "Window 1",
      location: "Main entrance ticket window",
    },
  });

  const admin = await db.staffUser.findUnique({ where: { email: adminEmail } });
  if (!admin) {
    await db.staffUser.create({
      data: {
        id: "staff_admin",
        email: adminEmail,
        name: "Demo Admin",
        passwordHash: await hashPassword(options.adminPassword, options.passwordParams),
        role: "admin",
      },
    });
  }

  return {
    attractionIds: DEMO_ATTRACTIONS.map((a) => a.id),
    kioskId: DEMO_KIOSK_ID,
    adminEmail,
    createdTicketKeys,
    slotsCreated,
  };
}
