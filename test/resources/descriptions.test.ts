/**
 * Each input and computed output is described once, in resources/descriptions.ts:
 * the TypeScript doc comments say the same, word for word, and the native
 * schema's descriptions are taken from it.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { describe, expect, it } from "vitest";
import { COMPONENT_INPUTS, COMPONENT_OUTPUTS } from "../../native/component";
import { packageSchema } from "../../native/schema";
import { KUBESLICE_IPAM_TOKEN, MANIFEST_FILE_TOKEN, SLICE_IPAM_TOKEN, SUBNET_ALLOCATION_TOKEN } from "../../native/type-token";
import { DESCRIPTIONS } from "../../resources/descriptions";
import { MANIFEST_FILE } from "../../resources/manifest-file";
import { SLICE_IPAM } from "../../resources/slice-ipam";
import { SUBNET_ALLOCATION } from "../../resources/subnet-allocation";
import { SUBNET_USAGE } from "../../resources/subnet-usage";

const ROOT = path.resolve(__dirname, "../..");

type Described = keyof typeof DESCRIPTIONS;

/** Where each described type's args interface and class are, and the outputs its provider computes. */
const SOURCES: Record<Described, { args: [file: string, name: string]; outputs: [file: string, name: string]; computed: readonly string[] }> = {
    SliceIpam: {
        args: ["resources/slice-ipam.ts", "SliceIpamArgs"],
        outputs: ["resources/slice-ipam.ts", "SliceIpam"],
        computed: SLICE_IPAM.outputs,
    },
    SubnetAllocation: {
        args: ["resources/subnet-allocation.ts", "SubnetAllocationArgs"],
        outputs: ["resources/subnet-allocation.ts", "SubnetAllocation"],
        computed: SUBNET_ALLOCATION.outputs,
    },
    SubnetUsage: {
        args: ["resources/subnet-usage.ts", "SubnetUsageArgs"],
        outputs: ["resources/subnet-usage.ts", "SubnetUsage"],
        computed: SUBNET_USAGE.outputs,
    },
    ManifestFile: {
        args: ["resources/manifest-file.ts", "ManifestFileArgs"],
        outputs: ["resources/manifest-file.ts", "ManifestFile"],
        computed: MANIFEST_FILE.outputs,
    },
    KubeSliceIpam: {
        args: ["components/kubeslice-ipam-args.ts", "KubeSliceIpamArgs"],
        outputs: ["components/kubeslice-ipam.ts", "KubeSliceIpam"],
        computed: COMPONENT_OUTPUTS,
    },
};

/** The doc comment of each property of an interface or class, whitespace folded (undefined: none). */
function docComments([file, name]: [string, string]): Record<string, string | undefined> {
    const source = ts.createSourceFile(file, readFileSync(path.join(ROOT, file), "utf8"), ts.ScriptTarget.ES2022, true);
    const declaration = source.statements.find(
        (statement): statement is ts.InterfaceDeclaration | ts.ClassDeclaration =>
            (ts.isInterfaceDeclaration(statement) || ts.isClassDeclaration(statement)) && statement.name?.text === name,
    );
    if (declaration === undefined) throw new Error(`${file} declares no ${name}`);
    const properties = (declaration.members as ts.NodeArray<ts.Node>).filter(
        (member): member is ts.PropertySignature | ts.PropertyDeclaration => ts.isPropertySignature(member) || ts.isPropertyDeclaration(member),
    );
    return Object.fromEntries(
        properties.map((property) => {
            const docs = ts.getJSDocCommentsAndTags(property).filter(ts.isJSDoc);
            const text = docs.length === 0 ? undefined : ts.getTextOfJSDocComment(docs[docs.length - 1].comment);
            return [property.name.getText(source), text?.replace(/\s+/g, " ").trim()];
        }),
    );
}

const pick = (texts: Readonly<Record<string, string | undefined>>, names: readonly string[]) =>
    Object.fromEntries(names.map((name) => [name, texts[name]]));

describe("the descriptions table", () => {
    it.each(Object.keys(SOURCES) as Described[])("is what %s's args interface says of each input, and names every input", (name) => {
        expect(docComments(SOURCES[name].args)).toEqual(DESCRIPTIONS[name].inputs);
    });

    it.each(Object.keys(SOURCES) as Described[])("is what %s says of each output its provider computes", (name) => {
        const { outputs, computed } = SOURCES[name];
        expect(Object.keys(DESCRIPTIONS[name].outputs)).toEqual([...computed]);
        expect(pick(docComments(outputs), computed)).toEqual(DESCRIPTIONS[name].outputs);
    });

    it("would report a doc comment that says something else", () => {
        const comments = docComments(SOURCES.SliceIpam.args);
        expect({ ...comments, maxClusters: "Most clusters." }).not.toEqual(DESCRIPTIONS.SliceIpam.inputs);
    });
});

describe("the native schema's descriptions", () => {
    const schema = packageSchema("0.0.0") as {
        resources: Record<string, { inputProperties: Record<string, { description: string }>; properties: Record<string, { description: string }> }>;
    };
    const descriptionsOf = (properties: Record<string, { description: string }>) =>
        Object.fromEntries(Object.entries(properties).map(([name, property]) => [name, property.description]));
    const served: [string, Described][] = [
        [SLICE_IPAM_TOKEN, "SliceIpam"],
        [SUBNET_ALLOCATION_TOKEN, "SubnetAllocation"],
        [MANIFEST_FILE_TOKEN, "ManifestFile"],
    ];

    it.each(served)("of %s are the table's, for every input and output", (token, name) => {
        const { inputs, outputs } = DESCRIPTIONS[name];
        expect(descriptionsOf(schema.resources[token].inputProperties)).toEqual(inputs);
        expect(descriptionsOf(schema.resources[token].properties)).toEqual({ ...inputs, ...outputs });
    });

    it("of the component are the table's, for the inputs that cross a language boundary and every output", () => {
        const component = schema.resources[KUBESLICE_IPAM_TOKEN];
        expect(descriptionsOf(component.inputProperties)).toEqual(pick(DESCRIPTIONS.KubeSliceIpam.inputs, COMPONENT_INPUTS));
        expect(descriptionsOf(component.properties)).toEqual(DESCRIPTIONS.KubeSliceIpam.outputs);
    });
});
