#!/usr/bin/env node
// Shelter's block pages in headless Chromium (Debian's chromium, driven by playwright-core),
// checked with axe-core: every page kind (general, child, teen, venue, security, legal,
// not-blocked) x every built-in language (en, fr, es, ar) x three viewports (a 320 px phone,
// a 1280 px desktop, and that desktop at 200 % zoom). A page passes when axe-core reports no
// violation and nothing incomplete, the language and direction are right, there is one h1,
// nothing overflows sideways, it renders with JavaScript off, it is under 30 KB, and its links
// are reached by keyboard with a visible focus.
//
// Usage: node pages_a11y.mjs --shelterd PATH [--screenshots DIR]
// Chromium: $CHROMIUM, else /usr/bin/chromium. Prints PASS/FAIL lines and "N passed, N failed".
import { mkdtempSync, writeFileSync, rmSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Checks, option, freePort, startShelterd as start, launchChromium, VIEWPORTS, LOCALES,
         pageFacts, axeFindings, focused } from "./harness.mjs";

const shelterd = option("--shelterd");
const screenshots = option("--screenshots");
if (!shelterd) {
  console.error("usage: pages_a11y.mjs --shelterd PATH [--screenshots DIR]");
  process.exit(2);
}

const checks = new Checks();
const check = checks.check.bind(checks);

// One shelterd per reader: the default profile decides whose page a request gets.
const READERS = { general: "all-lists", child: "under-9", teen: "15-17", venue: "public-wifi" };
const SITES = {
  "adult.test": null, // the reader's own kind
  "evil.test": "security",
  "csam.test": "legal",
  "fine.test": "not-blocked",
};

async function startShelterd(dir, profile) {
  const [dns, web] = [await freePort(), await freePort()];
  const config = join(dir, `${profile}.yaml`);
  writeFileSync(config, `threads: 1
dns: {listen: ["127.0.0.1:${dns}"]}
admin: {listen: null}
upstream: {servers: ["127.0.0.1:9"]}
lists:
  - {id: parental, category: adult, entries: [adult.test]}
  - {id: threats, category: malware, entries: [evil.test]}
  - {id: authority, category: csam, legal: true, entries: [csam.test], authority: Test Hotline,
     appeal: "https://appeal.hotline.test/"}
subscribers: {default-profile: ${profile}}
web:
  block-listen: ["127.0.0.1:${web}"]
  organisation: Example ISP
  venue: Café Example
  contact: "mailto:help@isp.example"
`);
  const child = await start(shelterd, config);
  return { child, web };
}

// Two tabs per language and viewport (contexts cost most of a check): JavaScript off, where
// the page must work without it (it has none), and on, which axe-core needs.
async function openTabs(browser, locale, view) {
  const options = { locale, viewport: view.viewport, deviceScaleFactor: view.deviceScaleFactor };
  const plain = await browser.newContext({ ...options, javaScriptEnabled: false });
  const scripted = await browser.newContext(options);
  return { plain, scripted, page: await plain.newPage(), checked: await scripted.newPage() };
}

async function checkPage(tabs, port, host, kind, locale, view) {
  const name = `${kind} ${locale} ${view.name}`;
  const url = `http://${host}:${port}/`;
  const { page, checked } = tabs;
  const response = await page.goto(url);
  const body = await response.body();
  const html = body.toString("utf8");
  check(html.includes(`<body class="${kind}">`), `${name}: the ${kind} page, JavaScript off`,
        html.slice(0, 300));
  check(body.length < 30 * 1024, `${name}: under 30 KB (${body.length} bytes)`);
  if (screenshots && view.name === "320px" && host === "adult.test") {
    mkdirSync(screenshots, { recursive: true });
    await page.screenshot({ path: join(screenshots, `block-page-${kind}-${locale}.png`),
                            fullPage: true });
  }
  await checked.goto(url);
  const facts = await pageFacts(checked);
  check(facts.lang === locale && facts.dir === LOCALES[locale] && facts.h1 === 1,
        `${name}: lang=${locale}, dir=${LOCALES[locale]}, one h1`, JSON.stringify(facts));
  check(facts.overflow <= 0, `${name}: nothing overflows sideways`, JSON.stringify(facts));
  const problems = await axeFindings(checked);
  check(problems.length === 0, `${name}: axe-core finds no violation and nothing incomplete`,
        problems.join("\n"));
  if (facts.links > 0 && view.name === "1280px") {
    // Keyboard only: Tab reaches the first link, and its focus is visible.
    await checked.keyboard.press("Tab");
    const focus = await focused(checked);
    check(focus.tag === "A" && focus.visible,
          `${name}: Tab reaches a link with a visible focus`, JSON.stringify(focus));
  }
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), "shelter-browser-"));
  const daemons = [];
  let browser;
  try {
    for (const [reader, profile] of Object.entries(READERS))
      daemons.push({ reader, ...(await startShelterd(dir, profile)) });
    browser = await launchChromium(["--host-resolver-rules=MAP *.test 127.0.0.1"]);
    // Languages side by side; in each, every viewport, reader and site in turn.
    await Promise.all(Object.keys(LOCALES).map(async (locale) => {
      for (const view of VIEWPORTS) {
        const tabs = await openTabs(browser, locale, view);
        for (const { reader, web } of daemons) {
          for (const [host, fixed] of Object.entries(SITES)) {
            // Security, legal and not-blocked pages do not depend on the reader: once is enough.
            if (fixed && reader !== "general") continue;
            await checkPage(tabs, web, host, fixed ?? reader, locale, view);
          }
        }
        await tabs.plain.close();
        await tabs.scripted.close();
      }
    }));
  } catch (e) {
    check(false, "the browser run", e.stack || e);
  } finally {
    if (browser) await browser.close();
    for (const { child } of daemons) child.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
  checks.finish();
}

main();
