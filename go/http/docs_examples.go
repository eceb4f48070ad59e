package http

// exampleFor returns an example response of a main endpoint, shown in
// docs/api.md and in the OpenAPI document. The examples were taken from a
// service watching the sandbox (script/demo); Instance objects are
// shortened to a few of their fields.
func exampleFor(path string) (string, bool) {
	ex, ok := apiExamples()[path]
	return ex, ok
}

const exampleInstance = `{"Key":{"Hostname":"127.0.0.1","Port":24102},"ServerID":24102,` +
	`"Version":"10.11.19-MariaDB-0+deb12u1-log","FlavorName":"MariaDB","ReadOnly":true,"Binlog_format":"ROW",` +
	`"MasterKey":{"Hostname":"127.0.0.1","Port":24101},"Slave_SQL_Running":true,"Slave_IO_Running":true,` +
	`"UsingMariaDBGTID":true,"SecondsBehindMaster":{"Int64":0,"Valid":true},` +
	`"Replicas":[{"Hostname":"127.0.0.1","Port":24104}],"ClusterName":"127.0.0.1:24101","IsLastCheckValid":true,"IsUpToDate":true}`

func apiExamples() map[string]string {
	return map[string]string{
		"/api/clusters-info": `[{"ClusterName":"127.0.0.1:24101","ClusterAlias":"127.0.0.1:24101","ClusterDomain":"",` +
			`"CountInstances":4,"HeuristicLag":0,"HasAutomatedMasterRecovery":true,"HasAutomatedIntermediateMasterRecovery":true}]`,
		"/api/clusters":             `["127.0.0.1:24101"]`,
		"/api/cluster/:clusterHint": `[` + exampleInstance + `]`,
		"/api/instance/:host/:port": exampleInstance,
		"/api/replication-analysis": `{"Code":"OK","Message":"Analysis","Details":[]}`,
		"/api/discover/:host/:port": `{"Code":"OK","Message":"Instance discovered: 127.0.0.1:24102","Details":` + exampleInstance + `}`,
		"/api/begin-downtime/:host/:port/:owner/:reason/:duration": `{"Code":"OK","Message":"Downtime begun: 127.0.0.1:24103",` +
			`"Details":{"Hostname":"127.0.0.1","Port":24103}}`,
		"/api/health": `{"Code":"OK","Message":"Application node is healthy","Details":{"Healthy":true,"Hostname":"vm",` +
			`"IsActiveNode":true,"AppVersion":"6a2b279","Started":"2026-11-25T10:34:45Z","DBBackend":"sqlite3","UptimeSeconds":5025}}`,
	}
}
