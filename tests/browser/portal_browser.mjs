#!/usr/bin/env node
// The parents' portal end to end in headless Chromium, as a parent who has never seen Shelter,
// on a phone (360 x 740, touch) with JavaScript off for the whole flow, the fields found by
// their labels and the buttons by their names, in the catalog's own words:
//
//   1. The operator issues a first-access code (admin API); the parent opens /first-access,
//      fills in the household ID, the code and a password twice, and lands on the household's
//      page with the "password saved" notice.
//   2. The tablet's filter goes from "Ages 15 to 17" to "Ages 9 to 12": before, a dig from the
//      tablet's address answers social.test (social media) with the upstream's address; the page
//      says the change is active after N s; within a second the same dig gets the block
//      address, while the laptop (the household's 15-17) still reaches it.
//   2b. "This week" counts the tablet's blocks (no name shown); two phones join through the
//      household's CPE with private MACs and are listed under "New devices"; one is attached
//      to the tablet with its form, and within a second a dig with that MAC gets 9-12.
//   3. The laptop is paused for 15 minutes with one tap: every name it asks for gets the block
//      address (the tablet is not paused); the household's record says 15 minutes; it is
//      turned back on and reaches names again within a second.
//   4. The tablet's "Change what is blocked" link opens its settings, starting from its band
//      (9-12, social media ticked); the parent unticks "Social media" by its label and saves:
//      the page says when it is active, within a second a dig from the tablet reaches
//      social.test again, and the household's record has the tablet on "tablet-custom".
//   5. Reports of wrong blocking: the tablet sends the appeal form (curl from its address) about
//      social.test and about a legal list's csam.test; the operator upholds the first (admin
//      API). The family page lists both in plain words: the first as "the block stays" with the
//      reviewer's reason, the legal one as sent to the list's authority without its site.
//   6. Sign out: / sends back to sign-in; signing in with the password opens the page again.
//   7. /sign-in, /first-access, / (with the reports) and the tablet's /settings in English and
//      Arabic, at the
//      phone and at 320 px, 1280 px and 1280 px at 200 % zoom: status 200, the language and
//      direction, one h1 (the catalog's heading), nothing overflowing sideways, axe-core with
//      no violation and nothing incomplete (in a second tab with JavaScript on, which axe-core
//      needs), and every stop of the keyboard's Tab order with a visible focus.
//
// A step the next ones build on stops the flow where it fails; the page checks run in any case
// (the household's page only once the flow has signed in again).
//
// DNS: a small upstream on 127.0.0.1 answers every A query with 198.51.100.44 (other types:
// no data); shelterd's block address is set to 192.0.2.80. dig asks from 127.0.0.2 (the tablet)
// and 127.0.0.3 (the laptop).
//
// Usage: node portal_browser.mjs --shelterd PATH
// With SHELTER_SCREENSHOTS=DIR, the phone's full-page screenshots of sign-in, first access, the
// household's page (after the change) and the tablet's settings go to DIR as
// portal-sign-in.png, portal-first-access.png, portal-home.png and portal-settings.png
// (docs/screenshots).
import dgram from "node:dgram";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync, readFileSync, rmSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Checks, option, freePort, startShelterd, launchChromium, VIEWPORTS, LOCALES,
         pageFacts, axeFindings, focused } from "./harness.mjs";

const shelterd = option("--shelterd");
if (!shelterd) {
  console.error("usage: portal_browser.mjs --shelterd PATH");
  process.exit(2);
}
const screenshots = process.env.SHELTER_SCREENSHOTS;
const checks = new Checks();
const check = checks.check.bind(checks);
// A check the rest of the flow depends on: when it fails, the flow stops there (the page
// checks still run).
class Stop extends Error {}
function must(ok, what, detail) {
  if (!check(ok, what, detail)) throw new Stop(what);
}

const FORWARDED = "198.51.100.44";
const BLOCK = "192.0.2.80";
const TABLET = "127.0.0.2";
const LAPTOP = "127.0.0.3";
const HOUSEHOLD = "smith";
// The household's CPE forwards queries from here with its CPE-ID and the device's MAC (EDNS
// options 65074 and 65001, believed from this address only).
const TRUSTED = "127.0.0.9";
const MACS = ["02:aa:bb:cc:dd:01", "02:aa:bb:cc:dd:02"];
const withMac = (mac) => [`+ednsopt=65074:${Buffer.from("cpe-smith").toString("hex")}`,
                          `+ednsopt=65001:${mac.replaceAll(":", "")}`];
const PASSWORD = "our dog likes long walks";
const TOKEN = randomBytes(20).toString("hex");
const PHONE = { name: "phone 360px", viewport: { width: 360, height: 740 }, deviceScaleFactor: 1,
                isMobile: true, hasTouch: true };

// --- the catalogs' words ---------------------------------------------------------------------

// Every "a.b.c" text of a built-in catalog (proxy/web/pages/locales/<locale>.yaml), nested to
// any depth (the harness's catalogText reads two levels; the portal's texts are deeper).
const catalogs = new Map();
function catalog(locale) {
  if (catalogs.has(locale)) return catalogs.get(locale);
  const url = new URL(`../../proxy/web/pages/locales/${locale}.yaml`, import.meta.url);
  const texts = new Map();
  const path = [];
  for (const line of readFileSync(url, "utf8").split("\n")) {
    const m = line.match(/^( *)([\w-]+):(?: (".*?"))?\s*(?:#.*)?$/);
    if (!m) continue;
    const depth = m[1].length / 2;
    path.length = depth;
    if (m[3] === undefined) path.push(m[2]);
    else texts.set([...path, m[2]].join("."), JSON.parse(m[3]));
  }
  catalogs.set(locale, texts);
  return texts;
}

// A text as the reader sees it: {{values}} put in, markup (<bdi>) left out.
function words(locale, key, values = {}) {
  const text = catalog(locale).get(key);
  if (text === undefined) throw new Error(`${locale}.yaml has no ${key}`);
  return text.replace(/\{\{(\w+)\}\}/g, (_, name) => values[name] ?? `{{${name}}}`)
    .replace(/<[^>]+>/g, "");
}

// A text as a pattern: each {{value}} matches `value` (a regular expression source).
function pattern(locale, key, value) {
  const text = words(locale, key).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^${text.replace(/\\\{\\\{\w+\\\}\\\}/g, `(${value})`)}$`);
}

const en = (key, values) => words("en", key, values);

// --- DNS -------------------------------------------------------------------------------------

// The upstream's answer to one query: A -> FORWARDED, anything else NOERROR with no data.
function upstreamAnswer(query) {
  if (query.length < 17 || query[2] & 0x80 || query.readUInt16BE(4) !== 1) return null;
  let end = 12;
  while (end < query.length && query[end] !== 0) {
    if (query[end] & 0xc0) return null;
    end += query[end] + 1;
  }
  end += 5;  // the root label, type, class
  if (end > query.length) return null;
  const isA = query.readUInt16BE(end - 4) === 1;
  const head = Buffer.alloc(12);
  head.writeUInt16BE(query.readUInt16BE(0), 0);
  head[2] = 0x80 | (query[2] & 0x01);  // a response; recursion desired as asked
  head[3] = 0x80;  // recursion available, NOERROR
  head.writeUInt16BE(1, 4);
  head.writeUInt16BE(isA ? 1 : 0, 6);
  const parts = [head, query.subarray(12, end)];
  if (isA) {
    const record = Buffer.alloc(16);
    record.writeUInt16BE(0xc00c, 0);  // the question's name
    record.writeUInt16BE(1, 2);  // A
    record.writeUInt16BE(1, 4);  // IN
    record.writeUInt32BE(60, 6);
    record.writeUInt16BE(4, 10);
    FORWARDED.split(".").forEach((octet, i) => { record[12 + i] = Number(octet); });
    parts.push(record);
  }
  return Buffer.concat(parts);
}

function startUpstream() {
  const socket = dgram.createSocket("udp4");
  socket.queries = 0;
  socket.on("message", (query, peer) => {
    const reply = upstreamAnswer(query);
    if (!reply) return;
    socket.queries++;
    socket.send(reply, peer.port, peer.address);
  });
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(0, "127.0.0.1", () => resolve(socket));
  });
}

// `dig -p PORT @127.0.0.1 -b SOURCE NAME A +short`: the addresses answered, or what went wrong.
function dig(port, name, source, opts = []) {
  return new Promise((resolve) => {
    execFile("dig", ["-p", String(port), "@127.0.0.1", "-b", source, name, "A", "+short",
                     "+time=2", "+tries=1", ...opts], { timeout: 5000 }, (error, stdout, stderr) => {
      const lines = stdout.trim().split("\n").filter(Boolean);
      resolve(error ? [`dig failed: ${error.message} ${stderr}`.trim()] : lines);
    });
  });
}

const same = (answers, address) => answers.length === 1 && answers[0] === address;

// Asks until the answer is `address` or `ms` have passed: { ok, ms, answers }.
async function digUntil(port, name, source, address, ms, opts = []) {
  const start = Date.now();
  for (;;) {
    const answers = await dig(port, name, source, opts);
    const elapsed = Date.now() - start;
    if (same(answers, address)) return { ok: elapsed <= ms, ms: elapsed, answers };
    if (elapsed > ms) return { ok: false, ms: elapsed, answers };
    await new Promise((r) => setTimeout(r, 20));
  }
}

// --- shelterd --------------------------------------------------------------------------------

async function start(dir, upstreamPort) {
  const [dns, admin, block, portal, pub] =
    [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  mkdirSync(join(dir, "state"));
  writeFileSync(join(dir, "households.yaml"), `households:
  ${HOUSEHOLD}:
    profile: 15-17
    cpe-ids: [cpe-smith]
    devices:
      tablet:
        profile: 15-17
        addresses: ["${TABLET}/32"]
      laptop:
        addresses: ["${LAPTOP}/32"]
`);
  writeFileSync(join(dir, "admin.tokens"), `operator ${TOKEN}\n`, { mode: 0o600 });
  const config = join(dir, "shelter.yaml");
  writeFileSync(config, `threads: 1
dns: {listen: ["127.0.0.1:${dns}"]}
upstream: {servers: ["127.0.0.1:${upstreamPort}"], timeout: 500ms, attempts: 2}
blocking: {block-page-ipv4: ["${BLOCK}"]}
lists:
  - {id: parental, format: domains, category: social-media, entries: [social.test]}
  - {id: hotline, format: domains, category: csam, legal: true, authority: Test Hotline,
     entries: [csam.test]}
subscribers:
  file: "${join(dir, "households.yaml")}"
  trust: {mac-from: ["${TRUSTED}/32"], cpe-id-from: ["${TRUSTED}/32"]}
list-updates: {state-directory: "${join(dir, "state")}"}
admin: {listen: "127.0.0.1:${admin}", token-file: "${join(dir, "admin.tokens")}"}
web: {block-listen: ["127.0.0.1:${block}"], public-listen: ["127.0.0.1:${pub}"],
      organisation: Example ISP}
portal: {listen: ["127.0.0.1:${portal}"]}
`);
  const child = await startShelterd(shelterd, config);
  return { child, dns, admin: `http://127.0.0.1:${admin}`, portal: `http://127.0.0.1:${portal}`,
           pub: `http://127.0.0.1:${pub}` };
}

async function adminApi(daemon, method, path, json) {
  const response = await fetch(`${daemon.admin}${path}`, {
    method, headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
    body: json === undefined ? undefined : JSON.stringify(json) });
  const text = await response.text();
  let body = {};
  try { body = JSON.parse(text); } catch { /* reported with the text below */ }
  return { status: response.status, body, text };
}

// --- the page checks -------------------------------------------------------------------------

async function shot(page, name) {
  if (!screenshots) return;
  mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
}

const path = (page) => { const u = new URL(page.url()); return u.pathname + u.search; };

// Presses a form's button (JavaScript off: the browser posts the form) and waits for the page
// it leads to; returns what the post answered (status, where it led), for the checks' details.
async function send(page, button, how = "click") {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === "POST", { timeout: 10000 }),
    button[how](),
  ]);
  await page.waitForLoadState();
  return `POST ${new URL(response.url()).pathname} -> ${response.status()} ` +
    `${response.headers().location ?? ""}; now at ${path(page)}: ` +
    (await page.locator("main").innerText().catch(() => "")).slice(0, 400);
}

const notice = (scope) => scope.locator("p.notice[role=status]").textContent({ timeout: 2000 })
  .then((t) => t.trim(), () => "(no notice)");

// Tab from the top of the page through every stop until focus leaves the page: each stop's
// focus must be visible.
async function tabStops(page) {
  await page.evaluate(() => document.activeElement?.blur());
  const stops = [];
  for (let i = 0; i < 80; i++) {
    await page.keyboard.press("Tab");
    const focus = await focused(page);
    if (focus.tag === "BODY" || focus.tag === "HTML") break;
    const key = JSON.stringify(focus);
    if (stops.length && key === JSON.stringify(stops[0])) break;
    stops.push(focus);
  }
  return stops;
}

async function checkPage(tabs, spec, locale, view) {
  const name = `${spec.path} ${locale} ${view.name}`;
  const { page, scripted } = tabs;
  const response = await page.goto(spec.url);
  check(response.status() === 200 && new URL(page.url()).pathname === spec.path,
        `${name}: status 200, JavaScript off`, `${response.status()} ${page.url()}`);
  const facts = await pageFacts(page);
  const heading = words(locale, spec.heading);
  check(facts.lang === locale && facts.dir === LOCALES[locale] && facts.h1 === 1 &&
        facts.heading === heading,
        `${name}: lang=${locale}, dir=${LOCALES[locale]}, one h1 "${heading}"`,
        JSON.stringify(facts));
  check(facts.overflow <= 0, `${name}: nothing overflows sideways`, JSON.stringify(facts));
  const stops = await tabStops(page);
  const hidden = stops.filter((s) => !s.visible);
  check(stops.length >= spec.stops && hidden.length === 0,
        `${name}: ${stops.length} Tab stops, each with a visible focus`,
        `${stops.length} stops (at least ${spec.stops} expected); without a visible focus:\n` +
        hidden.map((s) => JSON.stringify(s)).join("\n"));
  await scripted.goto(spec.url);
  const problems = await axeFindings(scripted);
  check(problems.length === 0, `${name}: axe-core finds no violation and nothing incomplete`,
        problems.join("\n"));
}

// --- the flow --------------------------------------------------------------------------------

// 1. First access with the operator's code.
async function firstAccess(page, daemon) {
  const issued = await adminApi(daemon, "POST", `/v1/households/${HOUSEHOLD}/access-code`);
  const code = issued.body.code ?? "";
  must(issued.status === 200 && /^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/.test(code),
       `the admin API issues ${HOUSEHOLD}'s first-access code`, `${issued.status} ${issued.text}`);
  const response = await page.goto(`${daemon.portal}/first-access`);
  const facts = await pageFacts(page);
  must(response.status() === 200 && facts.heading === en("portal.first-access.heading"),
       `first access: the page "${en("portal.first-access.heading")}" opens on the phone`,
       `${response.status()} ${JSON.stringify(facts)}`);
  await shot(page, "portal-first-access");
  await page.getByLabel(en("portal.field.household"), { exact: true }).fill(HOUSEHOLD);
  await page.getByLabel(en("portal.field.code"), { exact: true }).fill(code);
  await page.getByLabel(en("portal.field.new-password"), { exact: true }).fill(PASSWORD);
  await page.getByLabel(en("portal.field.password2"), { exact: true }).fill(PASSWORD);
  const sent = await send(page, page.getByRole("button",
                                               { name: en("portal.first-access.submit"),
                                                 exact: true }));
  const home = await pageFacts(page);
  const said = await notice(page);
  must(path(page) === "/?notice=password-set" && home.heading === en("portal.home.heading") &&
       said === en("portal.notice.password-set"),
       `first access: "${en("portal.first-access.submit")}" lands on / with ` +
       `"${en("portal.notice.password-set")}"`,
       `${sent}\n${JSON.stringify(home)} notice: ${said}`);
  const household = (await page.locator("p.household").textContent()).trim();
  const devices = await page.locator("article h3").allTextContents();
  check(household === en("portal.home.household", { household: HOUSEHOLD }) &&
        devices.includes("tablet") && devices.includes("laptop"),
        `the household's page names ${HOUSEHOLD} and its devices, tablet and laptop`,
        `${household} ${JSON.stringify(devices)}`);
  const tablet = page.getByRole("article", { name: "tablet", exact: true });
  const recognised = await tablet.locator("dd .id").allTextContents();
  check(recognised.includes(`${TABLET}/32`), `the tablet is shown as recognised by ${TABLET}/32`,
        JSON.stringify(recognised));
}

// 2. The tablet to 9-12: social media blocked within a second.
async function tabletTo912(page, daemon) {
  let answers = await dig(daemon.dns, "social.test", TABLET);
  check(same(answers, FORWARDED),
        `before: dig -b ${TABLET} social.test answers ${FORWARDED} (15-17 allows social media)`,
        JSON.stringify(answers));
  check(daemon.upstream.queries > 0,
        `that answer came from the upstream (${daemon.upstream.queries} queries so far)`);
  const band = en("portal.band.9-12.name");
  const tablet = page.getByRole("article", { name: "tablet", exact: true });
  const select = tablet.getByLabel(en("portal.device.choose", { device: "tablet" }),
                                   { exact: true });
  await select.selectOption({ label: band });
  const save = tablet.getByRole("button", { name: en("portal.save"), exact: true });
  const sent = await send(page, save);
  const shown = Date.now();
  const blocked = await digUntil(daemon.dns, "social.test", TABLET, BLOCK, 1000);
  const said = await notice(page);
  const saved = said.match(pattern("en", "portal.notice.saved", "\\d+(?:\\.\\d)?"));
  must(!!saved, `"${en("portal.save")}" in the tablet's form: the page says ` +
       `"${en("portal.notice.saved", { seconds: saved?.[1] ?? "N" })}"`,
       `${sent}\nnotice: ${said}`);
  check(blocked.ok, `after: within 1 s dig -b ${TABLET} social.test answers the block address ` +
        `${BLOCK} (${Date.now() - shown} ms after the page said so; ${blocked.ms} ms of asking)`,
        JSON.stringify(blocked));
  answers = await dig(daemon.dns, "social.test", LAPTOP);
  check(same(answers, FORWARDED),
        `the laptop (the household's 15-17) still gets social.test: ${FORWARDED}`,
        JSON.stringify(answers));
  answers = await dig(daemon.dns, "open.test", TABLET);
  check(same(answers, FORWARDED), `the tablet still reaches a name 9-12 allows (open.test)`,
        JSON.stringify(answers));
  const filter = (await tablet.locator("dd").nth(1).textContent()).trim();
  const chosen = await select.evaluate((s) => s.selectedOptions[0]?.textContent.trim());
  check(filter === en("portal.device.own-filter", { profile: band }) && chosen === band,
        `the tablet's card says "${band}" and its choice stays "${band}"`,
        `setting: ${filter}; chosen: ${chosen}`);
  await shot(page, "portal-home");
}

// 2b. "This week": the tablet's blocks counted, no name shown. "New devices": two phones that
// joined through the household's CPE with private MACs; one is attached to the tablet with
// its form, and a query with that MAC gets the tablet's 9-12 at once.
async function newDevices(page, daemon) {
  await page.goto(`${daemon.portal}/`);
  const week = page.getByRole("region", { name: en("portal.activity.heading"), exact: true });
  const privacy = (await week.locator("p.privacy").textContent()).trim();
  check(privacy === en("portal.activity.privacy"), `"This week" says what is kept: ${privacy}`);
  const row = week.getByRole("row", { name: new RegExp(`^${en("portal.category.social-media")}`) });
  const counts = await row.locator("td").allTextContents();
  check(Number(counts[0]) >= 1 && counts[1] === "0",
        `social media: blocked ${counts[0]} times this week (the tablet's digs), 0 last week`,
        counts.join(", "));
  check(!(await page.locator("main").innerText()).includes("social.test"),
        "no blocked name on the page");
  for (const mac of MACS) await dig(daemon.dns, "open.test", TRUSTED, withMac(mac));
  let answers = await dig(daemon.dns, "social.test", TRUSTED, withMac(MACS[0]));
  check(same(answers, FORWARDED), "before: the new phone gets the household's 15-17",
        JSON.stringify(answers));
  await page.goto(`${daemon.portal}/`);
  const section = page.getByRole("region", { name: en("portal.new-devices.heading"),
                                             exact: true });
  const listed = await section.locator("span.id").allTextContents();
  must(listed.join() === MACS.join(), `New devices lists both private MACs`, listed.join());
  const card = section.getByRole("article").filter({ hasText: MACS[0] });
  await card.getByLabel(en("portal.new-devices.attach-label"), { exact: true })
    .selectOption({ label: "tablet" });
  const sent = await send(page, card.getByRole("button", { name: en("portal.new-devices.attach"),
                                                           exact: true }));
  const said = await notice(page);
  must(!!said.match(pattern("en", "portal.notice.saved", "\\d+(?:\\.\\d)?")),
       `"${en("portal.new-devices.attach")}": the page says when it is active`,
       `${sent}\nnotice: ${said}`);
  const blocked = await digUntil(daemon.dns, "social.test", TRUSTED, BLOCK, 1000, withMac(MACS[0]));
  check(blocked.ok, `within 1 s the phone's MAC gets the tablet's 9-12: social.test blocked ` +
        `(${blocked.ms} ms)`, JSON.stringify(blocked));
  const left = await page.getByRole("region", { name: en("portal.new-devices.heading"),
                                                exact: true }).locator("span.id").allTextContents();
  check(left.join() === MACS[1], "the attached MAC is no longer listed; the other stays",
        left.join());
}

// 3. The laptop paused for 15 minutes with one tap, then turned back on.
async function pauseLaptop(page, daemon) {
  const laptop = page.getByRole("article", { name: "laptop", exact: true });
  const before = Math.floor(Date.now() / 1000);
  const sent = await send(page, laptop.getByRole("button", { name: en("portal.pause.15m"),
                                                               exact: true }), "tap");
  const said = await notice(page);
  const internet = (await laptop.locator("dd").nth(2).textContent()).trim();
  must(said === en("portal.notice.paused") &&
       pattern("en", "portal.device.paused", ".+").test(internet),
       `one tap on "${en("portal.pause.15m")}": "${en("portal.notice.paused")}", ` +
       `the laptop's card says "${internet}"`, `${sent}\nnotice: ${said}; ${internet}`);
  const record = await adminApi(daemon, "GET", `/v1/households/${HOUSEHOLD}`);
  const until = record.body.devices?.laptop?.["paused-until"] ?? 0;
  check(until >= before + 900 && until <= Math.ceil(Date.now() / 1000) + 900,
        "the household's record: the laptop is paused for 15 minutes", record.text);
  for (const name of ["open.test", "news.example.test", "social.test"]) {
    const paused = await digUntil(daemon.dns, name, LAPTOP, BLOCK, 1000);
    check(paused.ok, `paused: dig -b ${LAPTOP} ${name} answers the block address ${BLOCK}`,
          JSON.stringify(paused));
  }
  const answers = await dig(daemon.dns, "open.test", TABLET);
  check(same(answers, FORWARDED), "the tablet is not paused (open.test answers)",
        JSON.stringify(answers));
  const resumed = await send(page, laptop.getByRole("button",
                                                     { name: en("portal.pause.resume"),
                                                       exact: true }), "tap");
  const resumedSaid = await notice(page);
  const internetNow = (await laptop.locator("dd").nth(2).textContent()).trim();
  check(resumedSaid === en("portal.notice.resumed") && internetNow === en("portal.device.on"),
        `"${en("portal.pause.resume")}": "${en("portal.notice.resumed")}", the card says ` +
        `"${en("portal.device.on")}"`, `${resumed}\nnotice: ${resumedSaid}; ${internetNow}`);
  const back = await digUntil(daemon.dns, "open.test", LAPTOP, FORWARDED, 1000);
  check(back.ok, `resumed: within 1 s dig -b ${LAPTOP} open.test answers ${FORWARDED}`,
        JSON.stringify(back));
}

// 4. The tablet's settings: social media allowed by unticking its box, in force within 1 s.
async function tabletSettings(page, daemon) {
  const tablet = page.getByRole("article", { name: "tablet", exact: true });
  const link = en("portal.settings.link-device", { device: "tablet" });
  await Promise.all([page.waitForURL(/\/settings\?device=tablet$/),
                     tablet.getByRole("link", { name: link, exact: true }).tap()]);
  const facts = await pageFacts(page);
  must(path(page) === "/settings?device=tablet" &&
       facts.heading === en("portal.settings.title"),
       `"${link}" opens the tablet's page "${en("portal.settings.title")}"`,
       `${page.url()} ${JSON.stringify(facts)}`);
  const band = page.getByRole("radio", { name: new RegExp(`^${en("portal.band.9-12.name")}`) });
  const social = page.getByLabel(en("portal.category.social-media"), { exact: true });
  const adult = page.getByLabel(en("portal.category.adult"), { exact: true });
  must(await band.isChecked() && await social.isChecked() && await adult.isChecked(),
       `the page starts from the tablet's band, "${en("portal.band.9-12.name")}", with ` +
       `"${en("portal.category.social-media")}" ticked`,
       `band ${await band.isChecked()}, social ${await social.isChecked()}`);
  await social.tap();
  await shot(page, "portal-settings");
  const sent = await send(page, page.getByRole("button", { name: en("portal.save"),
                                                             exact: true }), "tap");
  const open = await digUntil(daemon.dns, "social.test", TABLET, FORWARDED, 1000);
  const said = await notice(page);
  must(path(page).startsWith("/?notice=saved") &&
       pattern("en", "portal.notice.saved", "\\d+(?:\\.\\d)?").test(said),
       `"${en("portal.save")}": back on the family page, which says "${said}"`,
       `${sent}\nnotice: ${said}`);
  check(open.ok, `social media unticked: within 1 s dig -b ${TABLET} social.test answers ` +
        `${FORWARDED} (${open.ms} ms of asking)`, JSON.stringify(open));
  const record = await adminApi(daemon, "GET", `/v1/households/${HOUSEHOLD}`);
  const custom = record.body.profiles?.["tablet-custom"] ?? {};
  check(record.body.devices?.tablet?.profile === "tablet-custom" && custom.base === "9-12" &&
        JSON.stringify(custom.unblock) === JSON.stringify(["social-media"]),
        "the household's record: the tablet follows tablet-custom, 9-12 with social media " +
        "unblocked", record.text);
  const filter = (await tablet.locator("dd").nth(1).textContent()).trim();
  const named = en("portal.band.custom", { band: en("portal.band.9-12.name"),
                                           name: "tablet-custom" });
  check(filter === named, `the tablet's card says "${named}"`, filter);
}

// 5. Sign out, and back in with the password.
// curl from `source` (a device's address): { status, headers, body }.
function curl(url, source, form) {
  const args = ["-sS", "-i", "--noproxy", "*", "--max-time", "5", "--interface", source];
  if (form) args.push("--data-raw", new URLSearchParams(form).toString());
  return new Promise((resolve) => {
    execFile("curl", [...args, url], { timeout: 8000 }, (error, stdout) => {
      const [head, ...rest] = stdout.split("\r\n\r\n");
      const status = Number((head.match(/^HTTP\/[\d.]+ (\d+)/) ?? [])[1] ?? 0);
      const location = (head.match(/^location: (.*)$/im) ?? [])[1] ?? "";
      resolve({ status, location: location.trim(), body: rest.join("\r\n\r\n"),
                error: error ? error.message : "" });
    });
  });
}

// The tablet reports `site` as blocked by mistake through the public appeal form: its id.
async function reportMistake(daemon, site) {
  const form = await curl(`${daemon.pub}/appeal?site=${site}`, TABLET);
  const csrf = (form.body.match(/name="csrf" value="([^"]+)"/) ?? [])[1] ?? "";
  const sent = await curl(`${daemon.pub}/appeal`, TABLET,
                          { url: site, reporter: "child", why: "I need it for school", csrf });
  const id = (sent.location.match(/^\/appeal\/case\?id=([0-9A-Z]{8})&/) ?? [])[1];
  must(sent.status === 303 && id, `the tablet reports ${site} through the appeal form`,
       `${form.status} ${form.error}\n${sent.status} ${sent.location} ${sent.error}`);
  return id;
}

// 5. The household's reports of wrong blocking, as the family page says them.
async function reports(page, daemon) {
  const social = await reportMistake(daemon, "social.test");
  await reportMistake(daemon, "csam.test");
  const decided = await adminApi(daemon, "POST", `/v1/appeals/${social}/decision`,
                                 { outcome: "uphold", reason: "Social media stays blocked" });
  must(decided.status === 200, "the operator upholds the first (admin API)", decided.text);
  await page.goto(`${daemon.portal}/`);
  const section = page.locator("section", {
    has: page.getByRole("heading", { name: en("portal.appeals.heading"), exact: true }) });
  const text = (await section.innerText().catch(() => "")).replace(/\s+/g, " ");
  check(text.includes("social.test") && text.includes(en("portal.appeals.status-upheld")) &&
        text.includes("Social media stays blocked"),
        `"${en("portal.appeals.heading")}": social.test, "${en("portal.appeals.status-upheld")}" ` +
        "and the reason", text);
  check(text.includes(en("portal.appeals.legal-site")) &&
        text.includes(en("portal.appeals.status-referred", { authority: "Test Hotline" })) &&
        !(await page.content()).includes("csam.test"),
        "the legal list's report: sent to Test Hotline, its site never shown", text);
}

async function signOutAndIn(page, daemon) {
  const sent = await send(page, page.getByRole("button", { name: en("portal.sign-out"),
                                                             exact: true }));
  const said = await notice(page);
  must(path(page) === "/sign-in?notice=signed-out" && said === en("portal.notice.signed-out"),
       `"${en("portal.sign-out")}": the sign-in page says "${en("portal.notice.signed-out")}"`,
       `${sent}\nnotice: ${said}`);
  await page.goto(`${daemon.portal}/`);
  const facts = await pageFacts(page);
  must(path(page) === "/sign-in" && facts.heading === en("portal.sign-in.heading"),
       "signed out: / sends back to the sign-in page", `${page.url()} ${JSON.stringify(facts)}`);
  await shot(page, "portal-sign-in");
  await page.getByLabel(en("portal.field.household"), { exact: true }).fill(HOUSEHOLD);
  await page.getByLabel(en("portal.field.password"), { exact: true }).fill(PASSWORD);
  const again = await send(page, page.getByRole("button",
                                                  { name: en("portal.sign-in.submit"),
                                                    exact: true }));
  const home = await pageFacts(page);
  const household = (await page.locator("p.household").textContent().catch(() => "")).trim();
  check(path(page) === "/" && home.heading === en("portal.home.heading") &&
        household === en("portal.home.household", { household: HOUSEHOLD }),
        `signed in again with the password: "${en("portal.home.heading")}" for ${HOUSEHOLD}`,
        `${again}\n${JSON.stringify(home)} ${household}`);
}

async function main() {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), "shelter-browser-portal-"));
  let upstream;
  let daemon;
  let browser;
  try {
    upstream = await startUpstream();
    daemon = await start(dir, upstream.address().port);
    daemon.upstream = upstream;
    browser = await launchChromium();
    const { name: _, ...phone } = PHONE;
    const context = await browser.newContext({ ...phone, locale: "en",
                                               javaScriptEnabled: false });
    const page = await context.newPage();
    page.setDefaultTimeout(10000);
    const flow = [["first access", firstAccess], ["the tablet set to 9-12", tabletTo912],
                  ["this week's counts and a new private MAC attached", newDevices],
                  ["the laptop paused and resumed", pauseLaptop],
                  ["the tablet's settings: social media allowed", tabletSettings],
                  ["the household's reports of wrong blocking", reports],
                  ["sign-out and sign-in", signOutAndIn]];
    let signedIn = false;
    for (const [what, step] of flow) {
      try {
        await step(page, daemon);
      } catch (e) {
        if (!(e instanceof Stop)) check(false, `${what}: the step ran`, e.stack || e);
        console.log(`(the flow stops at "${what}"; the page checks follow)`);
        break;
      }
      signedIn = step === signOutAndIn && new URL(page.url()).pathname === "/";
    }
    const state = await context.storageState();
    await context.close();

    // Every page in English and Arabic, at the phone and the harness's viewports.
    const pages = [
      { path: "/sign-in", heading: "portal.sign-in.heading", stops: 4 },
      { path: "/first-access", heading: "portal.first-access.heading", stops: 6 },
      ...(signedIn ? [{ path: "/", heading: "portal.home.heading", stops: 12 },
                      { path: "/settings", query: "?device=tablet",
                        heading: "portal.settings.title", stops: 24 }] : []),
    ].map((spec) => ({ ...spec, url: `${daemon.portal}${spec.path}${spec.query ?? ""}` }));
    if (!signedIn) check(false, "the household's page is checked in en and ar", "not signed in");
    await Promise.all(["en", "ar"].map(async (locale) => {
      for (const view of [PHONE, ...VIEWPORTS]) {
        const { name: _, ...device } = view;
        const options = { ...device, locale, storageState: state };
        const plain = await browser.newContext({ ...options, javaScriptEnabled: false });
        const withScript = await browser.newContext(options);
        const tabs = { page: await plain.newPage(), scripted: await withScript.newPage() };
        for (const spec of pages) await checkPage(tabs, spec, locale, view);
        await plain.close();
        await withScript.close();
      }
    }));
  } catch (e) {
    check(false, "the browser run", e.stack || e);
  } finally {
    if (browser) await browser.close().catch(() => {});
    if (daemon) daemon.child.kill("SIGTERM");
    if (upstream) upstream.close();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`run time ${((Date.now() - started) / 1000).toFixed(1)} s`);
  checks.finish();
}

main();
