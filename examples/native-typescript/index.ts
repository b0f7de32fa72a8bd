// The guide's main export on the native `aep` provider, in TypeScript (the generated SDK).
// Optional stack configuration: `datasetName`, `exportRun` (change it to export again).
import * as pulumi from "@pulumi/pulumi";
import * as aep from "@aep-pulumi/aep";

const config = new pulumi.Config();
const target = new aep.Dataset("target", { name: config.get("datasetName") ?? "Profile Data Export" });

// The default merge policy of the profile class in the dataset's sandbox: no hard-coded id.
// It follows the dataset, so a first preview asks AEP nothing (see docs/native.md).
const policies = aep.getMergePoliciesOutput({ sandboxName: target.sandboxName });

const job = new aep.ProfileExportJob("export", {
    datasetId: target.id,
    fields: ["identities.id", "personalEmail.address"],
    mergePolicy: {
        id: policies.apply(p => p.defaultId ?? ""),
        version: policies.apply(p => p.defaultVersion ?? 1),
    },
    eventList: {
        fields: ["environment.browserDetails.name", "environment.browserDetails.version"],
        fromIngestTimestamp: "2018-10-25T13:22:04-07:00",
    },
    triggers: [config.get("exportRun") ?? "1"],
});

export const datasetId = target.id;
export const exportJobId = job.jobId;
export const batchId = job.batchId;
export const status = job.status;
