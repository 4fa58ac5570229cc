// Where a `docker` binary works (`docker info` answers), the images are built and the
// workspace image is shown to run the conformance validator; elsewhere those tests say they
// skipped (an allowed skip, scripts/skips.mjs). Always: the Dockerfiles and the fleet compose
// file are checked statically (syntax and stages, references, ports and dependencies), and
// every stage's TypeScript entrypoint exists (the server's is apps/kiosk/server.ts).
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const root = resolve(import.meta.dirname, "../..");
const dockerDir = join(root, "docker");
const INSTRUCTIONS = new Set([
  "FROM",
  "RUN",
  "CMD",
  "LABEL",
  "EXPOSE",
  "ENV",
  "ADD",
  "COPY",
  "ENTRYPOINT",
  "VOLUME",
  "USER",
  "WORKDIR",
  "ARG",
  "ONBUILD",
  "STOPSIGNAL",
  "HEALTHCHECK",
  "SHELL",
]);

interface Stage {
  name: string;
  instructions: { op: string; args: string }[];
}

function parseDockerfile(file: string): Stage[] {
  const lines = readFileSync(join(dockerDir, file), "utf8").split("\n");
  const stages: Stage[] = [];
  let pending = "";
  for (const [i, raw] of lines.entries()) {
    const line = raw.trimEnd();
    if (pending === "" && (line.trim() === "" || line.trimStart().startsWith("#"))) continue;
    pending += (pending ? " " : "") + line.replace(/\\$/, "").trim();
    if (line.endsWith("\\")) continue;
    const [op = "", ...rest] = pending.split(/\s+/);
    const args = rest.join(" ");
    pending = "";
    if (!INSTRUCTIONS.has(op.toUpperCase()) || op !== op.toUpperCase())
      throw new Error(`${file}:${i + 1}: unknown instruction "${op}"`);
    if (op === "FROM") {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!m) throw new Error(`${file}:${i + 1}: malformed FROM`);
      stages.push({ name: m[2] ?? `stage${stages.length}`, instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage && op !== "ARG") throw new Error(`${file}:${i + 1}: ${op} before FROM`);
    if (["CMD", "ENTRYPOINT"].includes(op) && args.startsWith("[")) JSON.parse(args);
    stage?.instructions.push({ op, args });
  }
  return stages;
}

const last = (stage: Stage, op: string) => stage.instructions.filter((x) => x.op === op).at(-1)?.args;
const execForm = (stage: Stage, op: string): string[] => JSON.parse(last(stage, op) ?? "[]") as string[];

// Compose supports YAML merge keys (<<: *anchor); so must the parser.
const compose = parse(readFileSync(join(dockerDir, "compose.yaml"), "utf8"), { merge: true }) as {
  services: Record<
    string,
    {
      build?: { context: string; dockerfile: string; target?: string };
      image?: string;
      ports?: string[];
      depends_on?: Record<string, unknown> | string[];
      environment?: Record<string, string>;
      volumes?: string[];
      healthcheck?: unknown;
    }
  >;
};

/** Where each runnable stage's working directory comes from in the repository. */
const STAGE_SOURCES: Record<string, string> = {
  "kiosk.Dockerfile:server": ".",
  "kiosk.Dockerfile:worker": ".",
  "kiosk.Dockerfile:migrate": ".",
  "bridge.Dockerfile:bridge": "apps/bridge",
  "sandbox.Dockerfile:sandbox": "packages/alipay-sandbox",
};

describe("Dockerfiles", () => {
  for (const file of ["kiosk.Dockerfile", "bridge.Dockerfile", "sandbox.Dockerfile"]) {
    it(`${file}: parses, and every runnable stage runs as a non-root user with an existing entrypoint`, () => {
      const stages = parseDockerfile(file);
      expect(stages.length).toBeGreaterThan(1);
      for (const stage of stages) {
        const cmd = last(stage, "CMD");
        if (!cmd || stage.name === "build") continue;
        const user =
          last(stage, "USER") ??
          (
            stages.find((s) => s.name === stage.instructions.find((x) => x.op === "FROM")?.args)?.instructions ?? []
          ).find((x) => x.op === "USER")?.args;
        expect(user, `${file} stage ${stage.name} must set USER`).toBeTruthy();
        expect(user).not.toBe("root");
        const source = STAGE_SOURCES[`${file}:${stage.name}`];
        if (source) {
          const script = execForm(stage, "CMD").find((a) => a.endsWith(".ts"));
          expect(script, `${stage.name} runs a TypeScript entry`).toBeTruthy();
          expect(existsSync(join(root, source, script ?? "")), `${source}/${script}`).toBe(true);
          const runner = execForm(stage, "CMD")[0] ?? "";
          if (runner.includes("tsx")) {
            const pkg = JSON.parse(
              readFileSync(join(root, source === "." ? "apps/kiosk" : source, "package.json"), "utf8"),
            ) as { dependencies?: Record<string, string> };
            expect(pkg.dependencies?.tsx, `${source} must depend on tsx to run in its image`).toBeTruthy();
          }
        }
      }
      for (const stage of stages) {
        for (const copy of stage.instructions.filter((x) => x.op === "COPY" && !x.args.includes("--from"))) {
          const src = copy.args
            .split(/\s+/)
            .filter((a) => !a.startsWith("--"))
            .slice(0, -1);
          for (const s of src) expect(existsSync(join(root, s)), `COPY source ${s}`).toBe(true);
        }
      }
    });
  }

  it("the server image has a health check and the workspace build uses the pinned pnpm", () => {
    const stages = parseDockerfile("kiosk.Dockerfile");
    const server = stages.find((s) => s.name === "server");
    expect(last(server!, "HEALTHCHECK")).toContain("/healthz");
    const build = stages.find((s) => s.name === "build");
    expect(
      build?.instructions.some((x) => x.op === "RUN" && x.args.includes("pnpm@10.34.9 install --frozen-lockfile")),
    ).toBe(true);
  });
});

/** True when a docker binary is installed and its daemon answers. */
function dockerWorks(): boolean {
  const r = spawnSync("docker", ["info", "--format", "{{.ServerVersion}}"], { encoding: "utf8", timeout: 20_000 });
  return r.status === 0 && r.stdout.trim().length > 0;
}
const hasDocker = dockerWorks();
const IMAGE_BUILD_MS = 1_800_000;

function dockerBuild(file: string, target: string | undefined, tag: string): void {
  const r = spawnSync(
    "docker",
    ["build", "-f", join(dockerDir, file), ...(target ? ["--target", target] : []), "-t", tag, root],
    { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: IMAGE_BUILD_MS },
  );
  expect(r.status, `docker build ${file} ${target ?? ""}:\n${(r.stderr ?? "").slice(-4000)}`).toBe(0);
}

describe("images (docker build)", () => {
  if (!hasDocker)
    // Printed so the run says why; scripts/skips.mjs allows exactly these skips.
    console.warn("tooling/docker: no working docker binary (docker info failed): the image builds are SKIPPED");

  const TARGETS: [file: string, target: string | undefined][] = [
    ["kiosk.Dockerfile", "server"],
    ["kiosk.Dockerfile", "worker"],
    ["kiosk.Dockerfile", "migrate"],
    ["bridge.Dockerfile", undefined],
    ["sandbox.Dockerfile", undefined],
  ];
  for (const [file, target] of TARGETS)
    it.skipIf(!hasDocker)(
      `builds the ${file}${target ? ` ${target}` : ""} image`,
      () => dockerBuild(file, target, `kiosk-test-${file.replace(".Dockerfile", "")}-${target ?? "main"}`),
      IMAGE_BUILD_MS,
    );

  it.skipIf(!hasDocker)(
    "builds the workspace (worker) image and runs the conformance validator in it",
    () => {
      dockerBuild("kiosk.Dockerfile", "worker", "kiosk-test-kiosk-worker");
      // A usage error (exit 2) proves the CLI and everything it imports load inside the image.
      const r = spawnSync(
        "docker",
        [
          "run",
          "--rm",
          "kiosk-test-kiosk-worker",
          "node_modules/.bin/tsx",
          "tooling/conformance/src/cli.ts",
          "--target",
          "nowhere",
        ],
        { encoding: "utf8", timeout: 120_000 },
      );
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr + r.stdout).toContain("--target must be sandbox or configured");
    },
    IMAGE_BUILD_MS,
  );
});

describe("compose.yaml", () => {
  const services = compose.services;

  it("every build points at an existing Dockerfile stage and every dependency at a service", () => {
    for (const [name, s] of Object.entries(services)) {
      expect(s.build ?? s.image, `${name} needs build or image`).toBeTruthy();
      if (s.build) {
        expect(resolve(dockerDir, s.build.context)).toBe(root);
        const stages = parseDockerfile(s.build.dockerfile.replace(/^docker\//, ""));
        if (s.build.target) expect(stages.map((x) => x.name)).toContain(s.build.target);
      }
      const deps = Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {});
      for (const d of deps) expect(Object.keys(services), `${name} depends on ${d}`).toContain(d);
      for (const v of s.volumes ?? []) {
        const host = v.split(":")[0] ?? "";
        if (host.startsWith("./") && !host.startsWith("./secrets"))
          expect(existsSync(join(dockerDir, host)), `${name} volume ${host}`).toBe(true);
      }
    }
  });

  it("publishes distinct, valid host ports", () => {
    // "host:container" or "ip:host:container": the host port is the one before the container port.
    const hostPorts = Object.values(services).flatMap((s) =>
      (s.ports ?? []).map((p) => Number(String(p).split(":").at(-2))),
    );
    for (const p of hostPorts) expect(Number.isInteger(p) && p > 0 && p < 65536).toBe(true);
    expect(new Set(hostPorts).size).toBe(hostPorts.length);
  });

  it("runs two servers with the worker off, one worker, on PostgreSQL, after migrations", () => {
    const servers = Object.entries(services).filter(([, s]) => s.build?.target === "server");
    expect(servers.length).toBe(2);
    for (const [, s] of servers) {
      expect(s.environment?.WORKER).toBe("off");
      expect(s.environment?.DATABASE_URL).toMatch(/^postgresql:\/\//);
      expect(s.depends_on).toMatchObject({ migrate: { condition: "service_completed_successfully" } });
    }
    const workers = Object.values(services).filter((s) => s.build?.target === "worker");
    expect(workers.length).toBe(1);
    expect(workers[0]?.environment?.WORKER).toBe("inline");
    const nginx = readFileSync(join(dockerDir, "nginx.conf"), "utf8");
    for (const [name] of servers) expect(nginx).toContain(`server ${name}:3000`);
  });
});
