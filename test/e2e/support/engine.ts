/**
 * Drives the real Pulumi CLI (built by test/pulumi-cli) in child processes and
 * parses what it prints with --json. Nothing here imitates the engine: every
 * result comes from `pulumi` itself, from `pulumi stack output/export`, or
 * from the files the providers wrote.
 *
 * Each Workspace is a fresh directory under test/e2e/.work/ (inside the
 * repository, so programs resolve `kubeslice-ipam` and `@pulumi/pulumi`
 * through the repository's node_modules by walking up) with its own file
 * backend and PULUMI_HOME. Programs are copied into it, so stack config files,
 * default stores and rendered manifests never land in examples/ or programs/.
 */
import { execFile } from "node:child_process";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { inject } from "vitest";

export const REPO = path.resolve(__dirname, "../../..");
export const WORK_ROOT = path.join(REPO, "test/e2e/.work");
export const PROGRAMS = path.join(REPO, "test/e2e/programs");
export const EXAMPLES = path.join(REPO, "examples");

export const SLICE_TYPE = "pulumi-nodejs:dynamic/kubeslice-ipam:SliceIpam";
export const ALLOCATION_TYPE = "pulumi-nodejs:dynamic/kubeslice-ipam:SubnetAllocation";
export const MANIFEST_TYPE = "pulumi-nodejs:dynamic/kubeslice-ipam:ManifestFile";
export const COMPONENT_TYPE = "kubeslice-ipam:index:KubeSliceIpam";

/** Generous: a cold first program start on a busy 2-core machine, and the SDK's slow error path (~30 s). */
const COMMAND_TIMEOUT_MS = 240_000;

declare module "vitest" {
    export interface ProvidedContext {
        /** Directory holding the pinned `pulumi`, `pulumi-language-nodejs` and `pulumi-resource-pulumi-nodejs`. */
        pulumiBin: string;
        /** Directory holding the pinned `pulumi-resource-kubernetes` (test/pulumi-kubernetes). */
        kubernetesPluginBin: string;
    }
}

// ---------------------------------------------------------------- engine output

export interface ResourceState {
    readonly urn: string;
    readonly type: string;
    readonly id?: string;
    readonly custom?: boolean;
    readonly inputs?: Record<string, any>;
    readonly outputs?: Record<string, any>;
    readonly parent?: string;
    /** The provider reference `<provider URN>::<provider id>`; absent on components. */
    readonly provider?: string;
    readonly delete?: boolean;
    readonly pendingReplacement?: boolean;
    readonly protect?: boolean;
}

/** One entry of `steps` in the document `pulumi preview --json` prints. */
export interface PreviewStep {
    readonly op: string;
    readonly urn: string;
    readonly oldState?: ResourceState;
    readonly newState?: ResourceState;
    readonly replaceReasons?: string[];
    readonly diffReasons?: string[];
}

export interface Diagnostic {
    readonly message: string;
    readonly severity: string;
    readonly urn?: string;
    readonly prefix?: string;
}

export interface PreviewDocument {
    readonly steps: PreviewStep[];
    readonly diagnostics?: Diagnostic[];
    readonly changeSummary?: Record<string, number>;
}

export interface StepMetadata {
    readonly op: string;
    readonly urn: string;
    readonly type: string;
    readonly old?: ResourceState;
    readonly new?: ResourceState;
    readonly keys?: string[];
    readonly diffs?: string[];
}

/** One line of the newline-delimited engine events `up/refresh/destroy --json` print. */
export interface EngineEvent {
    readonly sequence: number;
    readonly resourcePreEvent?: { metadata: StepMetadata; planning?: boolean };
    readonly resOutputsEvent?: { metadata: StepMetadata; planning?: boolean };
    readonly resOpFailedEvent?: { metadata: StepMetadata; status: number; steps: number };
    readonly diagnosticEvent?: Diagnostic;
    readonly summaryEvent?: { result: string; resourceChanges: Record<string, number>; maybeCorrupt: boolean; isPreview: boolean };
}

export interface CommandResult {
    readonly args: readonly string[];
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
}

/** What `pulumi up/refresh/destroy --json` printed: its preview document (unless skipped) and its events. */
export interface EngineRun extends CommandResult {
    readonly preview?: PreviewDocument;
    readonly events: EngineEvent[];
    readonly summary: NonNullable<EngineEvent["summaryEvent"]>;
}

/**
 * `up/refresh/destroy --json` print the preview as one pretty-printed JSON
 * document (its closing brace alone on a line), then one JSON event per line.
 */
export function parseEngineOutput(stdout: string): { preview?: PreviewDocument; events: EngineEvent[] } {
    let rest = stdout;
    let preview: PreviewDocument | undefined;
    if (rest.startsWith("{\n")) {
        const end = rest.indexOf("\n}\n");
        const cut = end === -1 ? rest.length : end + 2;
        preview = JSON.parse(rest.slice(0, cut)) as PreviewDocument;
        rest = rest.slice(cut);
    }
    const events = rest
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line) as EngineEvent);
    return { preview, events };
}

export const nameOf = (urn: string): string => urn.slice(urn.lastIndexOf("::") + 2);
export const typeOfUrn = (urn: string): string => {
    const qualified = urn.split("::")[2];
    return qualified.slice(qualified.lastIndexOf("$") + 1);
};

/** Steps that change something, as `op type name`, sorted: the whole plan in one comparable list. */
export function plannedChanges(preview: PreviewDocument): string[] {
    return preview.steps
        .filter((step) => step.op !== "same")
        .map((step) => `${step.op} ${typeOfUrn(step.urn)} ${nameOf(step.urn)}`)
        .sort();
}

export function stepFor(preview: PreviewDocument, type: string, name: string): PreviewStep {
    const step = preview.steps.find((s) => typeOfUrn(s.urn) === type && nameOf(s.urn) === name);
    if (step === undefined) {
        throw new Error(`no step for ${type} ${name} in the preview:\n${plannedChanges(preview).join("\n")}`);
    }
    return step;
}

/** Per resource event, in the order the engine reported them: `kind op type name`. */
export function resourceEvents(events: readonly EngineEvent[]): { kind: "pre" | "outputs" | "failed"; meta: StepMetadata }[] {
    const out: { kind: "pre" | "outputs" | "failed"; meta: StepMetadata }[] = [];
    for (const event of events) {
        if (event.resourcePreEvent) out.push({ kind: "pre", meta: event.resourcePreEvent.metadata });
        if (event.resOutputsEvent) out.push({ kind: "outputs", meta: event.resOutputsEvent.metadata });
        if (event.resOpFailedEvent) out.push({ kind: "failed", meta: event.resOpFailedEvent.metadata });
    }
    return out;
}

/** What an engine run changed, of one resource type: `op name` per resource, sorted. */
export function changesOf(run: { events: readonly EngineEvent[] }, type: string): string[] {
    return resourceEvents(run.events)
        .filter((e) => e.kind === "outputs" && e.meta.type === type && e.meta.op !== "same")
        .map((e) => `${e.meta.op} ${nameOf(e.meta.urn)}`)
        .sort();
}

/** Errors and warnings the engine or the providers reported (debug/info noise left out). */
export function problems(diagnostics: readonly Diagnostic[] | undefined): Diagnostic[] {
    return (diagnostics ?? []).filter((d) => d.severity === "error" || d.severity === "warning");
}

export function diagnosticsOf(events: readonly EngineEvent[]): Diagnostic[] {
    return events.flatMap((event) => (event.diagnosticEvent ? [event.diagnosticEvent] : []));
}

// ---------------------------------------------------------------- processes

/** Environment for every pulumi command: the pinned build first on PATH, state and home in the workspace. */
export function commandEnv(workspace: Workspace, extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) {
        // The test runner's own variables are not the program's business.
        if (key.startsWith("VITEST") || key === "NODE_ENV" || key === "NODE_OPTIONS" || key.startsWith("PULUMI_")) continue;
        env[key] = value;
    }
    Object.assign(env, {
        PATH: [inject("pulumiBin"), inject("kubernetesPluginBin"), process.env.PATH ?? ""].join(path.delimiter),
        PULUMI_BACKEND_URL: workspace.backendUrl,
        PULUMI_HOME: workspace.pulumiHome,
        PULUMI_CONFIG_PASSPHRASE: "kubeslice-ipam-e2e",
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        // Type checking is what `npm run typecheck` is for; 2.3 s instead of 3.6 s per program run.
        PULUMI_NODEJS_TRANSPILE_ONLY: "true",
        NO_COLOR: "1",
    });
    for (const [key, value] of Object.entries(extra)) {
        if (value === undefined) delete env[key];
        else env[key] = value;
    }
    return env;
}

export interface RunOptions {
    /** Return a failed command's result instead of throwing. */
    readonly allowFailure?: boolean;
    /** Variables to add (a string) or remove (undefined) for this command. */
    readonly env?: Record<string, string | undefined>;
}

function runPulumi(workspace: Workspace, cwd: string, args: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    return new Promise((resolve, reject) => {
        execFile(
            "pulumi",
            [...args, "--non-interactive"],
            { cwd, env: commandEnv(workspace, options.env ?? {}), maxBuffer: 256 * 1024 * 1024, timeout: COMMAND_TIMEOUT_MS },
            (error, stdout, stderr) => {
                const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
                const result: CommandResult = { args, code, stdout, stderr };
                if (error !== null && (typeof error.code !== "number" || !options.allowFailure)) {
                    reject(new Error(describeFailure(result, error.killed ? "killed (timeout?)" : error.message)));
                    return;
                }
                resolve(result);
            },
        );
    });
}

/** A readable account of a failed command: its errors as the engine reported them, then stderr. */
export function describeFailure(result: CommandResult, reason = `exit code ${result.code}`): string {
    let reported: Diagnostic[] = [];
    let changes: string[] = [];
    try {
        const parsed = parseEngineOutput(result.stdout);
        reported = problems([...(parsed.preview?.diagnostics ?? []), ...diagnosticsOf(parsed.events)]);
        changes = parsed.preview?.steps ? plannedChanges(parsed.preview) : [];
    } catch {
        // not JSON output
    }
    return [
        `pulumi ${result.args.join(" ")}: ${reason}`,
        ...reported.map((d) => `  ${d.severity}: ${d.message.trim()}`),
        ...(changes.length > 0 ? ["  planned changes:", ...changes.map((c) => `    ${c}`)] : []),
        result.stderr.trim().slice(-4000),
        reported.length === 0 ? result.stdout.trim().slice(-4000) : "",
    ]
        .filter((part) => part !== "")
        .join("\n");
}

// ---------------------------------------------------------------- workspace, project, stack

export class Workspace {
    private constructor(readonly dir: string) {}

    /**
     * A fresh workspace: `<dir>/backend` (file backend), `<dir>/pulumi-home`.
     * Under `root` (default test/e2e/.work/, where programs resolve packages
     * through the repository's node_modules); a root outside the repository
     * is for programs with their own installed packages.
     */
    static async create(name: string, root: string = WORK_ROOT): Promise<Workspace> {
        await fs.mkdir(root, { recursive: true });
        const dir = await fs.mkdtemp(path.join(root, `${name}-`));
        const workspace = new Workspace(dir);
        await fs.mkdir(workspace.backendDir, { recursive: true });
        await fs.mkdir(workspace.pulumiHome, { recursive: true });
        return workspace;
    }

    get backendDir(): string {
        return path.join(this.dir, "backend");
    }
    get backendUrl(): string {
        return `file://${this.backendDir}`;
    }
    get pulumiHome(): string {
        return path.join(this.dir, "pulumi-home");
    }

    /** A directory in the workspace, e.g. a file store shared by several stacks. */
    async directory(name: string): Promise<string> {
        const dir = path.join(this.dir, name);
        await fs.mkdir(dir, { recursive: true });
        return dir;
    }

    /**
     * Copies a Pulumi program (Pulumi.yaml, package.json, sources) into
     * `<workspace>/<as>`; stack config files, stores and rendered manifests
     * of the source are not copied.
     */
    async program(source: string, as: string = path.basename(source)): Promise<Project> {
        const dir = path.join(this.dir, as);
        await copyProgram(source, dir);
        return new Project(this, dir);
    }

    /** A project at an existing directory of this workspace. */
    project(dir: string): Project {
        return new Project(this, dir);
    }

    /** Runs pulumi in the workspace with the given options (e.g. to log in). */
    run(cwd: string, args: readonly string[], options?: RunOptions): Promise<CommandResult> {
        return runPulumi(this, cwd, args, options);
    }

    /** Removes everything, unless KUBESLICE_IPAM_E2E_KEEP=1 (then prints where it is). */
    async remove(): Promise<void> {
        if (process.env.KUBESLICE_IPAM_E2E_KEEP === "1") {
            console.log(`kept e2e workspace ${this.dir}`);
            return;
        }
        await fs.rm(this.dir, { recursive: true, force: true });
    }
}

const SKIPPED = new Set(["node_modules", ".slice-ipam", "manifests", "bin"]);

export async function copyProgram(source: string, dest: string): Promise<void> {
    await fs.mkdir(dest, { recursive: true });
    for (const entry of await fs.readdir(source, { withFileTypes: true })) {
        if (SKIPPED.has(entry.name) || /^Pulumi\..+\.yaml$/.test(entry.name)) continue;
        await fs.cp(path.join(source, entry.name), path.join(dest, entry.name), { recursive: true });
    }
}

export class Project {
    constructor(
        readonly workspace: Workspace,
        readonly dir: string,
    ) {}

    run(args: readonly string[], options?: RunOptions): Promise<CommandResult> {
        return runPulumi(this.workspace, this.dir, args, options);
    }

    /** `pulumi stack init` plus plaintext config (non-string values as JSON). */
    async stack(name: string, config: Record<string, unknown> = {}): Promise<Stack> {
        await this.run(["stack", "init", name]);
        const stack = new Stack(this, name);
        if (Object.keys(config).length > 0) {
            await stack.setConfig(config);
        }
        return stack;
    }
}

export class Stack {
    constructor(
        readonly project: Project,
        readonly name: string,
    ) {}

    private run(args: readonly string[], options?: RunOptions): Promise<CommandResult> {
        return this.project.run([...args, "--stack", this.name], options);
    }

    async setConfig(config: Record<string, unknown>): Promise<void> {
        const pairs = Object.entries(config).flatMap(([key, value]) => [
            "--plaintext",
            `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`,
        ]);
        await this.run(["config", "set-all", ...pairs]);
    }

    /** `pulumi config set --secret`: the value is stored encrypted in the stack's config. */
    async setSecret(key: string, value: string): Promise<void> {
        await this.run(["config", "set", "--secret", key, value]);
    }

    /** `pulumi stack export` as text: what the state holds, secrets as ciphertext. */
    async exportText(): Promise<string> {
        return (await this.run(["stack", "export"])).stdout;
    }

    /** `pulumi preview --json`; throws if the preview fails (or, with expectNoChanges, if it finds changes). */
    async preview(options: { expectNoChanges?: boolean } & RunOptions = {}): Promise<PreviewDocument & { code: number }> {
        const args = ["preview", "--json", ...(options.expectNoChanges ? ["--expect-no-changes"] : [])];
        const result = await this.run(args, options);
        return { ...(JSON.parse(result.stdout) as PreviewDocument), code: result.code };
    }

    /** `pulumi preview --json` with streaming events: each resource's registered outputs as the preview knows them. */
    async previewEvents(): Promise<EngineEvent[]> {
        const result = await this.run(["preview", "--json"], { env: { PULUMI_ENABLE_STREAMING_JSON_PREVIEW: "true" } });
        return parseEngineOutput(result.stdout).events;
    }

    up(options: { skipPreview?: boolean } & RunOptions = {}): Promise<EngineRun> {
        return this.engineRun(["up", "--yes", "--json", ...(options.skipPreview ? ["--skip-preview"] : [])], options);
    }

    refresh(options: { previewOnly?: boolean } & RunOptions = {}): Promise<EngineRun> {
        return this.engineRun(["refresh", "--json", ...(options.previewOnly ? ["--preview-only"] : ["--yes"])], options);
    }

    destroy(options: RunOptions = {}): Promise<EngineRun> {
        return this.engineRun(["destroy", "--yes", "--json"], options);
    }

    private async engineRun(args: readonly string[], options: RunOptions): Promise<EngineRun> {
        const result = await this.run(args, options);
        const { preview, events } = parseEngineOutput(result.stdout);
        const summary = events.find((e) => e.summaryEvent)?.summaryEvent;
        if (summary === undefined) {
            // --preview-only prints only the document
            if (preview !== undefined && args.includes("--preview-only")) {
                return {
                    ...result,
                    preview,
                    events,
                    summary: { result: "succeeded", resourceChanges: preview.changeSummary ?? {}, maybeCorrupt: false, isPreview: true },
                };
            }
            throw new Error(describeFailure(result, "no summary event"));
        }
        return { ...result, preview, events, summary };
    }

    async outputs(): Promise<Record<string, any>> {
        return JSON.parse((await this.run(["stack", "output", "--json", "--show-secrets"])).stdout);
    }

    /**
     * The stack's resources as `pulumi stack export` writes them; with
     * `showSecrets`, each secret is its decrypted value instead of a ciphertext.
     */
    async resources(options: { showSecrets?: boolean } = {}): Promise<ResourceState[]> {
        const exported = JSON.parse((await this.run(["stack", "export", ...(options.showSecrets ? ["--show-secrets"] : [])])).stdout);
        const resources: ResourceState[] = exported.deployment.resources ?? [];
        return options.showSecrets ? (withSecretsRevealed(resources) as ResourceState[]) : resources;
    }
}

/** The signature key Pulumi marks a secret with in exported state. */
const SECRET_SIGNATURE = "4dabf18193072939515e22adb298388d";

/** Exported state with each `{ <signature>: …, plaintext: "<json>" }` replaced by its value. */
function withSecretsRevealed(value: unknown): unknown {
    if (Array.isArray(value)) {
        return value.map(withSecretsRevealed);
    }
    if (value === null || typeof value !== "object") {
        return value;
    }
    const record = value as Record<string, unknown>;
    if (SECRET_SIGNATURE in record && typeof record.plaintext === "string") {
        return withSecretsRevealed(JSON.parse(record.plaintext));
    }
    return Object.fromEntries(Object.entries(record).map(([key, inner]) => [key, withSecretsRevealed(inner)]));
}

// ---------------------------------------------------------------- store

export interface LedgerEntry {
    readonly clusterName: string;
    readonly subnet: string;
    readonly index: number;
    readonly status: string;
    readonly allocatedAt: string;
    readonly releasedAt?: string;
}

export interface LedgerDocument {
    readonly revision: number;
    readonly spec: { sliceName: string; sliceSubnet: string; subnetSize: number; gracePeriodSeconds: number };
    allocations: LedgerEntry[];
    readonly counters: Record<string, any>;
    /** The slice's history (provider/core/history-event.ts), as stored. */
    readonly history?: readonly {
        readonly action: string;
        readonly clusterName?: string;
        readonly subnet?: string;
        readonly actor: { readonly via: string; readonly project?: string; readonly stack?: string };
    }[];
}

/** The file of a slice's current revision (the highest in `<store>/<slice>/`), or undefined. */
export async function ledgerFile(storeDir: string, slice: string): Promise<string | undefined> {
    const directory = path.join(storeDir, slice);
    const revisions = (await fs.readdir(directory).catch(() => [] as string[])).filter((name) => /^\d{12}\.json$/.test(name)).sort();
    return revisions.length === 0 ? undefined : path.join(directory, revisions[revisions.length - 1]);
}

export async function readLedger(storeDir: string, slice: string): Promise<LedgerDocument> {
    const file = await ledgerFile(storeDir, slice);
    if (file === undefined) {
        throw new Error(`slice "${slice}" has no ledger in ${storeDir}`);
    }
    return JSON.parse(await fs.readFile(file, "utf8"));
}

/** True when the slice has no ledger: never registered, or deleted (its last revision is a tombstone). */
export async function sliceIsGone(storeDir: string, slice: string): Promise<boolean> {
    const file = await ledgerFile(storeDir, slice);
    return file === undefined || JSON.parse(await fs.readFile(file, "utf8")).kind === "SliceLedgerTombstone";
}

export async function exists(file: string): Promise<boolean> {
    return fs.access(file).then(
        () => true,
        () => false,
    );
}

/**
 * An out-of-band edit, as an operator would make it by hand: change the
 * document, bump its revision, write it back.
 */
export async function editLedger(storeDir: string, slice: string, edit: (doc: LedgerDocument & Record<string, any>) => void): Promise<void> {
    const doc = await readLedger(storeDir, slice);
    edit(doc as LedgerDocument & Record<string, any>);
    // An out-of-band edit as the store would write it: the next revision file.
    (doc as { revision: number }).revision += 1;
    const next = path.join(storeDir, slice, `${String(doc.revision).padStart(12, "0")}.json`);
    await fs.writeFile(next, `${JSON.stringify(doc, null, 2)}\n`, { flag: "wx" });
}

/** `clusterName → subnet` of the entries in the ledger with the given status (all if omitted). */
export function subnetsIn(doc: LedgerDocument, status?: string): Record<string, string> {
    return Object.fromEntries(doc.allocations.filter((a) => status === undefined || a.status === status).map((a) => [a.clusterName, a.subnet]));
}

/** What the ledger holds twice: a subnet, an index or a cluster in more than one entry (empty when none). */
export function heldTwice(allocations: readonly { clusterName: string; subnet: string; index: number }[]): string[] {
    const twice: string[] = [];
    for (const field of ["subnet", "index", "clusterName"] as const) {
        const seen = new Set<unknown>();
        for (const entry of allocations) {
            if (seen.has(entry[field])) twice.push(`${field} ${entry[field]}`);
            seen.add(entry[field]);
        }
    }
    return twice;
}
