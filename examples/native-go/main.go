// The guide's main export on the native `aep` provider, from Go (the generated SDK, sdk/go).
// Optional stack configuration: `datasetName`, `exportRun` (change it to export again).
package main

import (
	"github.com/aep-pulumi/aep-pulumi/sdk/go/aep"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

// orDefault is the value of an optional configuration key (an empty value counts as unset, as
// the other examples' `config.get(...) or default` has it).
func orDefault(cfg *config.Config, key, fallback string) string {
	if value := cfg.Get(key); value != "" {
		return value
	}
	return fallback
}

func program(ctx *pulumi.Context) error {
	cfg := config.New(ctx, "")
	target, err := aep.NewDataset(ctx, "target", &aep.DatasetArgs{
		Name: pulumi.String(orDefault(cfg, "datasetName", "Profile Data Export")),
	})
	if err != nil {
		return err
	}

	// The default merge policy of the profile class in the dataset's sandbox: no hard-coded id.
	// It follows the dataset, so a first preview asks AEP nothing (see docs/native.md).
	policies := aep.GetMergePoliciesOutput(ctx, aep.GetMergePoliciesOutputArgs{
		SandboxName: target.SandboxName,
	})

	export, err := aep.NewProfileExportJob(ctx, "export", &aep.ProfileExportJobArgs{
		DatasetId: target.ID(),
		Fields:    pulumi.StringArray{pulumi.String("identities.id"), pulumi.String("personalEmail.address")},
		MergePolicy: aep.MergePolicyArgs{
			// Elem: the id is required; a sandbox without a default policy gives "", which the
			// provider's check names, as it does for the other examples.
			Id:      policies.DefaultId().Elem(),
			Version: policies.DefaultVersion(),
		},
		EventList: aep.EventListArgs{
			Fields: pulumi.StringArray{
				pulumi.String("environment.browserDetails.name"),
				pulumi.String("environment.browserDetails.version"),
			},
			FromIngestTimestamp: pulumi.String("2018-10-25T13:22:04-07:00"),
		},
		Triggers: pulumi.Array{pulumi.String(orDefault(cfg, "exportRun", "1"))},
	})
	if err != nil {
		return err
	}

	ctx.Export("datasetId", target.ID())
	ctx.Export("exportJobId", export.JobId)
	ctx.Export("batchId", export.BatchId)
	ctx.Export("status", export.Status)
	return nil
}

func main() {
	pulumi.Run(program)
}
