// Runs one `pulumi` operation on a Node.js program as an Automation API inline program:
//
//     node inline.js OPERATION WORK_DIR STACK EVENTS_FILE OUT_FILE
//
// The Node.js counterpart of aep_pulumi/testing/inline.py (the Go module proxy serves no Node.js
// language host): the program is WORK_DIR's `main` (Pulumi.yaml), served from this process.
"use strict";
const fs = require("fs");
const path = require("path");

const [operation, workDir, stack, eventsPath, outPath] = process.argv.slice(2);
const settings = fs.readFileSync(path.join(workDir, "Pulumi.yaml"), "utf8");
const projectName = /^name:\s*(\S+)/m.exec(settings)[1];
const main = (/^main:\s*(\S+)/m.exec(settings) || [null, "index.js"])[1];
const auto = require(require.resolve("@pulumi/pulumi/automation", { paths: [workDir] }));

(async () => {
    const program = async () => require(path.resolve(workDir, main));
    const stackRef = await auto.LocalWorkspace.selectStack(
        { stackName: stack, projectName, program },
        { workDir },
    );
    const events = fs.createWriteStream(eventsPath);
    const onEvent = (event) => events.write(JSON.stringify(event) + "\n");
    const result = { operation };
    let code = 0;
    try {
        if (operation === "preview") {
            const r = await stackRef.preview({ onEvent });
            Object.assign(result, { changes: r.changeSummary, stdout: r.stdout });
        } else if (operation === "up") {
            const r = await stackRef.up({ onEvent });
            const outputs = Object.fromEntries(Object.entries(r.outputs).map(([k, v]) => [k, v.value]));
            Object.assign(result, { outputs, stdout: r.stdout });
        } else if (operation === "refresh") {
            Object.assign(result, { stdout: (await stackRef.refresh({ onEvent })).stdout });
        } else {
            Object.assign(result, { stdout: (await stackRef.destroy({ onEvent })).stdout });
        }
    } catch (err) {
        result.error = String(err && err.message ? err.message : err);
        code = 1;
    }
    await new Promise((resolve) => events.end(resolve));
    fs.writeFileSync(outPath, JSON.stringify(result));
    process.exit(code);
})();
