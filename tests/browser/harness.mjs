// What the browser tests share: PASS/FAIL bookkeeping, free ports, a shelterd started on
// 127.0.0.1, Debian's headless Chromium, the viewports and languages, and the checks every page
// gets (language and direction, one h1, nothing sideways, axe-core, a visible keyboard focus).
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import net from "node:net";
import { chromium } from "playwright-core";
import { AxeBuilder } from "@axe-core/playwright";

export class Checks {
  passed = 0;
  failed = 0;

  check(ok, what, detail = "") {
    if (ok) {
      this.passed++;
      console.log(`PASS ${what}`);
    } else {
      this.failed++;
      console.log(`FAIL ${what}`);
      if (detail) console.log(`    ${String(detail).split("\n").join("\n    ")}`);
    }
    return ok;
  }

  // Prints the tally and exits: 0 only when something passed and nothing failed.
  finish() {
    console.log(`${this.passed} passed, ${this.failed} failed`);
    process.exit(this.failed || !this.passed ? 1 : 0);
  }
}

export function option(name) {
  const args = process.argv.slice(2);
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

// shelterd with this configuration file, once it says it is ready.
export async function startShelterd(shelterd, config) {
  const child = spawn(shelterd, ["--config", config], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`shelterd not ready:\n${log}`)), 10000);
    child.stderr.on("data", (chunk) => {
      log += chunk;
      if (log.includes("shelterd: ready")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on("exit", (code) => reject(new Error(`shelterd exited ${code}:\n${log}`)));
  });
  return child;
}

// Chromium: $CHROMIUM, else /usr/bin/chromium. Its sandbox cannot run as root; anyone else
// keeps it.
export function launchChromium(args = []) {
  const rootUser = typeof process.getuid === "function" && process.getuid() === 0;
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: [...args, ...(rootUser ? ["--no-sandbox"] : [])],
  });
}

export const VIEWPORTS = [
  { name: "320px", viewport: { width: 320, height: 640 }, deviceScaleFactor: 1 },
  { name: "1280px", viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 },
  // 200 % zoom on a 1280 px screen: 640 CSS pixels, each drawn twice as large.
  { name: "1280px at 200%", viewport: { width: 640, height: 400 }, deviceScaleFactor: 2 },
];
export const LOCALES = { en: "ltr", fr: "ltr", es: "ltr", ar: "rtl" };

// The facts of the page in this tab that every page is held to.
export function pageFacts(page) {
  return page.evaluate(() => ({
    lang: document.documentElement.lang,
    dir: document.documentElement.dir,
    h1: document.querySelectorAll("h1").length,
    heading: document.querySelector("h1")?.textContent.trim(),
    overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
    links: document.querySelectorAll("a[href]").length,
  }));
}

// axe-core's violations and its incomplete results (what it could not decide counts as a
// failure too: a page should leave nothing to doubt), one line each.
//
// One exception, narrow and checked another way: axe-core 4.11.0 cannot find any <textarea>'s
// background ("partially obscured", dequelabs/axe-core#4947, fixed by #4968 after 4.11.0), so
// for a textarea with that reason the contrast of its text on its own opaque background is
// computed here instead and must be at least 4.5:1. With a fixed axe-core it never applies.
//
// Legacy mode runs axe.run in the page itself: the same rules and results for pages without
// frames (ours have none), at half the time of the default, which opens a second page per run.
export async function axeFindings(page) {
  const axe = await new AxeBuilder({ page }).setLegacyMode().analyze();
  const line = (kind, v, nodes) => `${kind}: ${v.id}: ${v.help} ` +
    nodes.map((n) => n.target.join(" ")).join(", ");
  const findings = axe.violations.map((v) => line(v.impact, v, v.nodes));
  for (const v of axe.incomplete) {
    const left = [];
    for (const n of v.nodes) {
      const textarea = v.id === "color-contrast" && n.html.startsWith("<textarea") &&
        n.any.some((c) => c.data?.messageKey === "elmPartiallyObscured");
      const ratio = textarea ? await textContrast(page, n.target.join(" ")) : 0;
      if (ratio < 4.5) left.push(n);
    }
    if (left.length) findings.push(line("incomplete", v, left));
  }
  return findings;
}

// The contrast ratio (WCAG 2) of an element's text colour on its own background colour; 0 when
// that background is not opaque, so it cannot be known this way.
function textContrast(page, selector) {
  return page.evaluate((selector) => {
    const style = getComputedStyle(document.querySelector(selector));
    const rgba = (c) => c.match(/[\d.]+/g).map(Number);
    const [fg, bg] = [rgba(style.color), rgba(style.backgroundColor)];
    if ((bg[3] ?? 1) < 1 || (fg[3] ?? 1) < 1) return 0;
    const lum = ([r, g, b]) => [r, g, b].map((x) => x / 255)
      .map((x) => (x <= 0.04045 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4))
      .reduce((sum, x, i) => sum + x * [0.2126, 0.7152, 0.0722][i], 0);
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    return (a + 0.05) / (b + 0.05);
  }, selector);
}

// The focused element and whether its focus can be seen (an outline that is drawn).
export function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    const style = getComputedStyle(el);
    return {
      tag: el.tagName,
      id: el.id,
      name: el.getAttribute("name"),
      type: el.getAttribute("type"),
      text: el.textContent.trim(),
      value: "value" in el ? el.value : undefined,
      checked: el.checked,
      visible: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0,
    };
  });
}

// One text of a built-in catalog (proxy/web/pages/locales/<locale>.yaml), "section.key": the
// tests say what a page must show in the catalog's own words, so rewording breaks nothing.
const catalogs = new Map();
export function catalogText(locale, key) {
  if (!catalogs.has(locale)) {
    const url = new URL(`../../proxy/web/pages/locales/${locale}.yaml`, import.meta.url);
    catalogs.set(locale, readFileSync(url, "utf8").split("\n"));
  }
  const lines = catalogs.get(locale);
  const [section, name] = key.split(".");
  const start = lines.indexOf(`${section}:`);
  if (start < 0) throw new Error(`${locale}.yaml has no ${section}:`);
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith(" ")) break;
    const m = line.match(/^ {2}([\w-]+): (".*")$/);
    if (m && m[1] === name) return JSON.parse(m[2]);
  }
  throw new Error(`${locale}.yaml has no ${key}`);
}
