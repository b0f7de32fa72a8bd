// Adobe Experience Platform profile exports (datasets and export jobs) as Pulumi resources.
package aep
