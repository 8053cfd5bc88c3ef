/**
 * Debian's Chromium, driven by playwright-core, for the report's browser
 * tests: found (and installed when missing, as root) by chromium.sh, never
 * downloaded by Playwright. A page opened here may load its own document
 * and nothing else: every other request is refused and recorded.
 */
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { Browser, chromium, Page } from "playwright-core";

const SCRIPT = path.join(__dirname, "chromium.sh");

/** The browser's path, or an error saying how to get it: the tests fail without it, they never skip. */
export function chromiumPath(): string {
    try {
        return execFileSync("bash", [SCRIPT], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 600_000 }).trim();
    } catch (error) {
        const stderr = String((error as { stderr?: unknown }).stderr ?? "").trim();
        throw new Error(
            `the browser tests need Debian's chromium, and ${SCRIPT} could not provide it` +
                `${stderr === "" ? "" : `: ${stderr}`}. Run \`bash test/browser/chromium.sh\` as root (CI does, in .ci/run).`,
            { cause: error },
        );
    }
}

export async function launchChromium(): Promise<Browser> {
    // Root in CI and in containers, where Chromium's sandbox cannot start.
    return chromium.launch({ executablePath: chromiumPath(), args: ["--no-sandbox"] });
}

/** A page that records console errors, page errors and every request but its document's (which it refuses). */
export interface GuardedPage {
    readonly page: Page;
    readonly consoleErrors: string[];
    readonly foreignRequests: string[];
}

export async function guardedPage(browser: Browser, documentUrl: string, viewport = { width: 1200, height: 900 }): Promise<GuardedPage> {
    const page = await browser.newPage({ viewport });
    const consoleErrors: string[] = [];
    const foreignRequests: string[] = [];
    page.on("console", (message) => {
        if (message.type() === "error") {
            consoleErrors.push(message.text());
        }
    });
    page.on("pageerror", (error) => consoleErrors.push(`page error: ${error.message}`));
    await page.route("**/*", (route) => {
        const url = route.request().url();
        if (url === documentUrl) {
            return route.continue();
        }
        foreignRequests.push(url);
        return route.abort();
    });
    return { page, consoleErrors, foreignRequests };
}

/** Width and height of a PNG, from its IHDR chunk. */
export function pngSize(png: Buffer): { width: number; height: number } {
    return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}
