/**
 * Runs the e2e suite's engine (test/pulumi-cli: CLI and Node.js language host
 * v3.259.0) on the benchmark programs, each stack in its own file backend.
 */
import { execFile, execFileSync } from "node:child_process";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { installPackage } from "../../test/support/installed-package";

export const REPO = path.resolve(__dirname, "../../..");
/** Inside the repository, so programs resolve `kubeslice-ipam` and `@pulumi/pulumi` by walking up. */
export const WORK_ROOT = path.join(REPO, "bench/.work");

export function pulumiBin(): string {
    return execFileSync(path.join(REPO, "test/pulumi-cli/build.sh"), { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim();
}

export interface Timed<T> {
    readonly ms: number;
    readonly value: T;
}

/** One program copied into a fresh directory with its own backend and PULUMI_HOME. */
export class BenchStack {
    private constructor(
        readonly dir: string,
        private readonly env: NodeJS.ProcessEnv,
    ) {}

    /** With `packageRoot`, that build of kubeslice-ipam is installed into the program as npm would. */
    static async create(bin: string, program: string, name: string, packageRoot?: string): Promise<BenchStack> {
        await fs.mkdir(WORK_ROOT, { recursive: true });
        const root = await fs.mkdtemp(path.join(WORK_ROOT, `${name}-`));
        const dir = path.join(root, "program");
        await fs.cp(program, dir, { recursive: true });
        if (packageRoot !== undefined) {
            await installPackage(packageRoot, dir);
        }
        await fs.mkdir(path.join(root, "backend"));
        await fs.mkdir(path.join(root, "home"));
        const env: NodeJS.ProcessEnv = {};
        for (const [key, value] of Object.entries(process.env)) {
            if (!key.startsWith("PULUMI_") && key !== "NODE_OPTIONS") env[key] = value;
        }
        Object.assign(env, {
            PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}`,
            PULUMI_BACKEND_URL: `file://${path.join(root, "backend")}`,
            PULUMI_HOME: path.join(root, "home"),
            PULUMI_CONFIG_PASSPHRASE: "kubeslice-ipam-bench",
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            // As in the e2e suite: both programs are transpiled only.
            PULUMI_NODEJS_TRANSPILE_ONLY: "true",
            NO_COLOR: "1",
        });
        const stack = new BenchStack(dir, env);
        await stack.run(["stack", "init", "bench"]);
        await stack.run(["config", "set", "storeDirectory", path.join(root, "store")]);
        await fs.mkdir(path.join(root, "store"));
        return stack;
    }

    get root(): string {
        return path.dirname(this.dir);
    }

    run(args: readonly string[]): Promise<string> {
        return new Promise((resolve, reject) => {
            execFile("pulumi", [...args, "--non-interactive"], { cwd: this.dir, env: this.env, maxBuffer: 1 << 30 }, (error, stdout, stderr) => {
                if (error !== null) {
                    reject(new Error(`pulumi ${args.join(" ")} in ${this.dir}: ${error.message}\n${stderr.slice(-4000)}\n${stdout.slice(-4000)}`));
                } else {
                    resolve(stdout);
                }
            });
        });
    }

    async timed(args: readonly string[]): Promise<Timed<string>> {
        const started = process.hrtime.bigint();
        const value = await this.run(args);
        return { ms: Number(process.hrtime.bigint() - started) / 1e6, value };
    }

    /** Moves the stack to the Kubernetes store: `namespace` on the server `kubeconfig` names (kept as a secret). */
    async useKubernetesStore(namespace: string, kubeconfig: string): Promise<void> {
        await this.run(["config", "set", "storeNamespace", namespace]);
        await new Promise<void>((resolve, reject) => {
            const child = execFile(
                "pulumi",
                ["config", "set", "--secret", "kubeconfig", "--non-interactive"],
                { cwd: this.dir, env: this.env },
                (error) => (error === null ? resolve() : reject(error)),
            );
            child.stdin!.end(kubeconfig);
        });
    }

    setClusters(count: number): Promise<string> {
        return this.run(["config", "set", "clusters", String(count)]);
    }

    /** `pulumi preview --json`: the number of steps per operation. */
    async preview(): Promise<Timed<Record<string, number>>> {
        const { ms, value } = await this.timed(["preview", "--json"]);
        return { ms, value: JSON.parse(value).changeSummary ?? {} };
    }

    /** `pulumi up --skip-preview --json`: what the summary event reports changed. */
    async up(): Promise<Timed<Record<string, number>>> {
        const { ms, value } = await this.timed(["up", "--yes", "--skip-preview", "--json"]);
        const summary = value
            .split("\n")
            .filter((line) => line.startsWith("{"))
            .map((line) => JSON.parse(line))
            .find((event) => event.summaryEvent)?.summaryEvent;
        if (summary?.result !== "succeeded") {
            throw new Error(`pulumi up in ${this.dir} did not succeed: ${JSON.stringify(summary)}`);
        }
        return { ms, value: summary.resourceChanges };
    }

    /** `pulumi destroy`: every resource deleted (for the component, its slice unregistered). */
    async destroy(): Promise<void> {
        await this.run(["destroy", "--yes", "--skip-preview"]);
    }

    /** The checkpoint the file backend rewrites after each step. */
    async stateBytes(): Promise<number> {
        const stacks = path.join(this.root, "backend/.pulumi/stacks");
        const [project] = await fs.readdir(stacks);
        return (await fs.stat(path.join(stacks, project, "bench.json"))).size;
    }

    async exportState(): Promise<{ deployment: { resources: Record<string, any>[] } }> {
        return JSON.parse(await this.run(["stack", "export"]));
    }

    async remove(): Promise<void> {
        if (process.env.KUBESLICE_IPAM_BENCH_KEEP === "1") {
            console.log(`kept ${this.root}`);
            return;
        }
        await fs.rm(this.root, { recursive: true, force: true });
    }
}
