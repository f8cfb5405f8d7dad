#!/usr/bin/env node
// The pages beside the block page in headless Chromium, checked with axe-core: the child's block
// page with its "Ask my parent" button and report link, the request's status page, "check a
// site" (empty, blocked, open, restricted, mistyped), the appeal form (empty, pre-filled from a
// block page, sent empty so it shows its errors), a case's status (open, referred), the
// not-found pages, the page for a link whose token does not verify, the transparency report
// (its tables, and its period form refused) and the venue's page (its terms and contact). Every page x every
// built-in language (en, fr, es, ar) x three viewports (320 px, 1280 px, 1280 px at 200 %
// zoom), with JavaScript off (axe-core, itself a script, reads the same page in a second tab
// with it on): no axe-core violation and nothing incomplete, the language and direction right,
// one h1, nothing overflowing sideways, under 30 KB, the expected status.
//
// Then, keyboard only and JavaScript off, in every language: a child Tabs to "Ask my parent"
// and presses Enter, and lands on the status page of the request just sent; from the block page
// someone Tabs to "Report a mistake", fills in the appeal form (the address is filled in
// already; arrow keys choose who they are) and sends it with Enter, and lands on the case.
//
// One shelterd serves both listeners. Its only household is bound to 127.0.0.1, where Chromium
// connects from, so the browser is that household's child; Chromium takes adult.test (a blocked
// site) to the block listener, and the public pages are at 127.0.0.1.
//
// Usage: node case_pages_a11y.mjs --shelterd PATH [--screenshots DIR]
// --screenshots writes the appeal form, a case, a check result and a request's status (en, ar;
// 320 px and 1280 px) as PNG files into DIR (docs/images).
import { mkdtempSync, writeFileSync, rmSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Checks, option, freePort, startShelterd, launchChromium, VIEWPORTS, LOCALES,
         pageFacts, axeFindings, focused, catalogText } from "./harness.mjs";

const shelterd = option("--shelterd");
const screenshots = option("--screenshots");
if (!shelterd) {
  console.error("usage: case_pages_a11y.mjs --shelterd PATH [--screenshots DIR]");
  process.exit(2);
}
const checks = new Checks();
const check = checks.check.bind(checks);
const BLOCKED = "http://adult.test/";

async function start(dir) {
  const [dns, block, pub] = [await freePort(), await freePort(), await freePort()];
  const config = join(dir, "shelter.yaml");
  writeFileSync(join(dir, "households.yaml"), `households:
  kids:
    profile: under-9
    addresses: [127.0.0.1/32]
`);
  mkdirSync(join(dir, "state"));
  writeFileSync(config, `threads: 1
dns: {listen: ["127.0.0.1:${dns}"]}
admin: {listen: null}
upstream: {servers: ["127.0.0.1:9"]}
blocking: {appeal-url: "http://127.0.0.1:${pub}/appeal"}
list-updates: {state-directory: "${join(dir, "state")}"}
lists:
  - {id: parental, category: adult, entries: [adult.test]}
  - {id: threats, category: malware, entries: [evil.test]}
  - {id: authority, category: csam, legal: true, entries: [csam.test], authority: Test Hotline,
     appeal: "https://appeal.hotline.test/"}
subscribers: {default-profile: all-lists, file: "${join(dir, "households.yaml")}"}
web:
  block-listen: ["127.0.0.1:${block}"]
  public-listen: ["127.0.0.1:${pub}"]
  organisation: Example ISP
  venue:
    name: Café Example
    terms: |
      This Wi-Fi is free for our customers. Please be considerate of others.

      No downloading of material you have no right to.
    contact: {email: wifi@cafe.example, phone: "+44 20 7946 0000", web: "https://cafe.example/"}
  contact: "mailto:help@isp.example"
  # Every page in every language and viewport sends a form: no limit may get in the way.
  appeal-rate: 100000/hour
  ask-rate: 100000/hour
  check-rate: 100000/minute
`);
  const child = await startShelterd(shelterd, config);
  return { child, block, pub: `http://127.0.0.1:${pub}` };
}

// What the pages are about: one request to a parent, two cases (one the operator reviews, one
// referred to a list's authority) and the report link with its signed token, made by clicking.
async function makeCases(browser, pub) {
  const context = await browser.newContext({ locale: "en", javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(BLOCKED);
  const report = await page.getAttribute(`a[href^="${pub}/appeal?t="]`, "href");
  await Promise.all([page.waitForURL(/\/\.shelter\/ask\?id=/), page.click("form.ask button")]);
  const ask = page.url();
  const appeal = async (url) => {
    await page.goto(url);
    if (!url.includes("?t=")) await page.fill("#url", "csam.test");
    await page.check("#reporter-other");
    await page.fill("#why", "It is a school project site.");
    await Promise.all([page.waitForURL(/\/appeal\/case\?id=/), page.click("form button")]);
    return page.url();
  };
  const opened = await appeal(report);
  const referred = await appeal(`${pub}/appeal`);
  await context.close();
  return { report, ask, opened, referred, token: new URL(report).searchParams.get("t") };
}

// Every page: its name, address, status and screenshot name; a "send" page is what sending the
// form at that address empty answers.
function pagesOf(pub, made) {
  return [
    { name: "block page with ask button", url: BLOCKED, status: 403 },
    { name: "request status", url: made.ask, status: 200, shot: "ask-status" },
    { name: "request not found", url: `${BLOCKED}.shelter/ask?id=nothing`, status: 404 },
    { name: "check", url: `${pub}/check`, status: 200 },
    { name: "venue page", url: `${pub}/venue`, status: 200, shot: "venue-page" },
    { name: "check blocked", url: `${pub}/check?site=adult.test`, status: 200,
      shot: "check-result" },
    { name: "check open", url: `${pub}/check?site=fine.test`, status: 200 },
    { name: "check restricted", url: `${pub}/check?site=csam.test`, status: 200 },
    { name: "check mistyped", url: `${pub}/check?site=not%20a%20site`, status: 400 },
    { name: "appeal form", url: `${pub}/appeal`, status: 200 },
    { name: "appeal form from the block page", url: made.report, status: 200,
      shot: "appeal-form" },
    { name: "appeal form with errors", url: `${pub}/appeal`, send: true, status: 400 },
    { name: "case open", url: made.opened, status: 200, shot: "case-status" },
    { name: "case referred", url: made.referred, status: 200 },
    { name: "case not found", url: `${pub}/appeal/case?id=nothing&s=nothing`, status: 404 },
    { name: "block explained by its token", url: `${pub}/blocked?t=${made.token}`, status: 403 },
    { name: "token that does not verify", url: `${pub}/blocked?t=bad`, status: 400 },
    { name: "transparency report", url: `${pub}/transparency`, status: 200 },
    { name: "transparency report, bad period", url: `${pub}/transparency?from=2026-02-30`,
      status: 400 },
  ];
}

async function open(page, spec) {
  if (!spec.send) return page.goto(spec.url);
  await page.goto(spec.url);
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === "POST"),
    page.click("form button[type=submit]"),
  ]);
  await page.waitForLoadState();
  return response;
}

// Two tabs per language and viewport: JavaScript off, where every check but axe-core's runs
// (the pages have no script, and must work without it), and on, for axe-core, which is a script.
async function checkPage({ page, scripted }, spec, locale, view) {
  const name = `${spec.name} ${locale} ${view.name}`;
  const response = await open(page, spec);
  const body = await response.body();
  check(response.status() === spec.status,
        `${name}: status ${spec.status}, JavaScript off`, `status ${response.status()}`);
  check(body.length < 30 * 1024, `${name}: under 30 KB (${body.length} bytes)`);
  const facts = await pageFacts(page);
  check(facts.lang === locale && facts.dir === LOCALES[locale] && facts.h1 === 1,
        `${name}: lang=${locale}, dir=${LOCALES[locale]}, one h1`, JSON.stringify(facts));
  check(facts.overflow <= 0, `${name}: nothing overflows sideways`, JSON.stringify(facts));
  await open(scripted, spec);
  const problems = await axeFindings(scripted);
  check(problems.length === 0, `${name}: axe-core finds no violation and nothing incomplete`,
        problems.join("\n"));
  if (spec.send) {
    // The summary names each problem and leads to its field, and the field says it is invalid.
    const errors = await page.evaluate(() => [...document.querySelectorAll(".errors a")].map(
      (a) => {
        const field = document.getElementById(a.hash.slice(1));
        // A radio group's problem leads to its first choice (a fieldset takes no focus).
        const control = field?.matches("input[type=radio]")
          ? field.closest("fieldset.invalid")
          : field?.closest("p")?.querySelector("[aria-invalid=true]");
        return { to: a.hash, field: !!field, invalid: !!control,
                 described: field?.getAttribute("aria-describedby") ?? "" };
      }));
    check(errors.length === 3 && errors.every((e) => e.field && e.invalid),
          `${name}: three problems, each linked to its field, marked invalid`,
          JSON.stringify(errors));
  }
  if (screenshots && spec.shot && ["en", "ar"].includes(locale) && view.name !== "1280px at 200%") {
    const width = view.viewport.width;
    await page.screenshot({ path: join(screenshots, `${spec.shot}-${locale}-${width}.png`),
                            fullPage: true });
  }
}

// Tab (at most 40 times) until `wanted` holds for the focused element; returns it.
async function tabTo(page, wanted) {
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press("Tab");
    const focus = await focused(page);
    if (wanted(focus)) return focus;
  }
  return focused(page);
}

const keyboardView = { locale: "en", viewport: { width: 1280, height: 800 } };

// (a) The child asks a parent, keyboard only.
async function askByKeyboard(browser, locale) {
  const context = await browser.newContext({ ...keyboardView, locale, javaScriptEnabled: false });
  const page = await context.newPage();
  const name = `keyboard ${locale}: ask my parent`;
  await page.goto(BLOCKED);
  const button = catalogText(locale, "ask.button-child");
  const focus = await tabTo(page, (f) => f.tag === "BUTTON");
  check(focus.tag === "BUTTON" && focus.text === button && focus.visible,
        `${name}: Tab reaches "${button}", its focus visible`, JSON.stringify(focus));
  await Promise.all([page.waitForURL(/\/\.shelter\/ask\?id=/), page.keyboard.press("Enter")]);
  const facts = await pageFacts(page);
  const heading = catalogText(locale, "ask.waiting-heading");
  check(facts.heading === heading, `${name}: Enter sends it; the h1 says "${heading}"`,
        `${page.url()} ${JSON.stringify(facts)}`);
  await context.close();
}

// (b) A report from the block page, keyboard only.
async function appealByKeyboard(browser, locale) {
  const context = await browser.newContext({ ...keyboardView, locale, javaScriptEnabled: false });
  const page = await context.newPage();
  const name = `keyboard ${locale}: report a mistake`;
  await page.goto(BLOCKED);
  const report = catalogText(locale, "label.report");
  let focus = await tabTo(page, (f) => f.tag === "A" && f.text === report);
  check(focus.tag === "A" && focus.text === report && focus.visible,
        `${name}: Tab reaches "${report}", its focus visible`, JSON.stringify(focus));
  await Promise.all([page.waitForURL(/\/appeal\?t=/), page.keyboard.press("Enter")]);
  await page.keyboard.press("Tab");
  focus = await focused(page);
  check(focus.id === "url" && focus.value === "adult.test" && focus.visible,
        `${name}: Tab reaches the address, filled in with adult.test`, JSON.stringify(focus));
  await page.keyboard.press("Tab");
  focus = await focused(page);
  check(focus.name === "reporter" && focus.visible, `${name}: Tab reaches the choice of who`,
        JSON.stringify(focus));
  await page.keyboard.press("ArrowDown");
  focus = await focused(page);
  check(focus.id === "reporter-parent" && focus.checked,
        `${name}: an arrow key chooses "${catalogText(locale, "appeal.who-parent")}"`,
        JSON.stringify(focus));
  await page.keyboard.press("Tab");
  focus = await focused(page);
  check(focus.id === "why" && focus.visible, `${name}: Tab reaches why`, JSON.stringify(focus));
  await page.keyboard.type("My child needs it for a school project.");
  await page.keyboard.press("Tab");
  focus = await focused(page);
  check(focus.id === "contact" && focus.visible, `${name}: Tab reaches the contact`,
        JSON.stringify(focus));
  await page.keyboard.type("parent@example.test");
  await page.keyboard.press("Tab");
  focus = await focused(page);
  check(focus.tag === "BUTTON" && focus.text === catalogText(locale, "appeal.submit") &&
        focus.visible, `${name}: Tab reaches the send button`, JSON.stringify(focus));
  await Promise.all([page.waitForURL(/\/appeal\/case\?id=\w+&s=/), page.keyboard.press("Enter")]);
  const id = new URL(page.url()).searchParams.get("id");
  const facts = await pageFacts(page);
  const heading = catalogText(locale, "case.heading").replace("{{id}}", id);
  const status = await page.textContent("dl");
  check(facts.heading === heading && status.includes(catalogText(locale, "case.status-open")),
        `${name}: Enter sends it; the h1 says "${heading}", waiting for review`,
        `${page.url()} ${JSON.stringify(facts)} ${status}`);
  await context.close();
}

async function main() {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), "shelter-browser-cases-"));
  let daemon;
  let browser;
  try {
    daemon = await start(dir);
    if (screenshots) mkdirSync(screenshots, { recursive: true });
    browser = await launchChromium([
      `--host-resolver-rules=MAP adult.test 127.0.0.1:${daemon.block}`]);
    const made = await makeCases(browser, daemon.pub);
    const pages = pagesOf(daemon.pub, made);
    // Languages side by side; in each, every viewport and page in turn.
    await Promise.all(Object.keys(LOCALES).map(async (locale) => {
      for (const view of VIEWPORTS) {
        const options = { locale, viewport: view.viewport,
                          deviceScaleFactor: view.deviceScaleFactor };
        const plain = await browser.newContext({ ...options, javaScriptEnabled: false });
        const withScript = await browser.newContext(options);
        const tabs = { page: await plain.newPage(), scripted: await withScript.newPage() };
        for (const spec of pages) await checkPage(tabs, spec, locale, view);
        await plain.close();
        await withScript.close();
      }
      await askByKeyboard(browser, locale);
      await appealByKeyboard(browser, locale);
    }));
  } catch (e) {
    check(false, "the browser run", e.stack || e);
  } finally {
    if (browser) await browser.close();
    if (daemon) daemon.child.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`run time ${((Date.now() - started) / 1000).toFixed(1)} s`);
  checks.finish();
}

main();
