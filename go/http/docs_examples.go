package http

import (
	_ "embed"
	"encoding/json"
	"sync"
)

// Example is an example response of a route, shown in docs/api.md and in
// the OpenAPI document: its status and body (JSON, or for text routes a
// JSON string holding the text).
type Example struct {
	Status      int
	ContentType string `json:",omitempty"` // set for text routes
	Body        json.RawMessage
}

// recordedExamples are the answers of every route on a seeded SQLite
// store without live servers, trimmed (arrays to their first element,
// objects to their first fields): UPDATE_EXAMPLES=1 go test ./go/http
// -run TestAPIExamples rewrites the file.
//
//go:embed testdata/api_examples.json
var recordedExamples []byte

var loadExamples = sync.OnceValue(func() map[string]Example {
	out := map[string]Example{}
	_ = json.Unmarshal(recordedExamples, &out) // checked by TestAPIExamples
	return out
})

// exampleFor returns the route's example: its own (Route.Example, for
// routes that only succeed against live servers) or the recorded one.
func exampleFor(rt Route) (Example, bool) {
	if rt.Example != nil {
		return *rt.Example, true
	}
	ex, ok := loadExamples()[rt.Path]
	return ex, ok
}

// okExample is a 200 JSON example.
func okExample(body string) *Example { return &Example{Status: 200, Body: json.RawMessage(body)} }

// envelopeExample is a 200 envelope example.
func envelopeExample(message, details string) *Example {
	msg, _ := json.Marshal(message)
	return okExample(`{"Code":"OK","Message":` + string(msg) + `,"Details":` + details + `}`)
}

// textExample is a 200 example of a route that answers text (or binary).
func textExample(contentType, text string) *Example {
	body, _ := json.Marshal(text)
	return &Example{Status: 200, ContentType: contentType, Body: body}
}

// Shapes of the answers of routes that act on live servers, taken from a
// service watching the sandbox (script/demo); Instance objects are
// shortened to a few of their fields.
const (
	exampleKey      = `{"Hostname":"127.0.0.1","Port":24102}`
	exampleInstance = `{"Key":{"Hostname":"127.0.0.1","Port":24102},"ServerID":24102,` +
		`"Version":"10.11.19-MariaDB-0+deb12u1-log","FlavorName":"MariaDB","ReadOnly":true,"Binlog_format":"ROW",` +
		`"MasterKey":{"Hostname":"127.0.0.1","Port":24101},"Slave_SQL_Running":true,"Slave_IO_Running":true,` +
		`"UsingMariaDBGTID":true,"SecondsBehindMaster":{"Int64":0,"Valid":true},` +
		`"Replicas":[{"Hostname":"127.0.0.1","Port":24104}],"ClusterName":"127.0.0.1:24101","IsLastCheckValid":true,"IsUpToDate":true}`
	exampleRecovery = `{"Id":3,"UID":"c0a8e2f4-6f7e-4b1c-9d2a-1e5b7c9d0f11","AnalysisEntry":{"AnalyzedInstanceKey":{"Hostname":"127.0.0.1","Port":24101},` +
		`"Analysis":"DeadMaster","ClusterDetails":{"ClusterName":"127.0.0.1:24101"}},"SuccessorKey":` + exampleKey + `,` +
		`"IsActive":false,"IsSuccessful":true,"LostReplicas":[],"ParticipatingInstanceKeys":[{"Hostname":"127.0.0.1","Port":24101},` + exampleKey + `],` +
		`"AllErrors":[],"RecoveryStartTimestamp":"2026-11-25 10:41:02","RecoveryEndTimestamp":"2026-11-25 10:41:05",` +
		`"ProcessingNodeHostname":"vm","Acknowledged":false}`
)

var (
	exInstanceOp = envelopeExample("Instance 127.0.0.1:24102: OK", exampleInstance)
	exReplicasOp = envelopeExample("Moved 1 replicas of 127.0.0.1:24102", `[`+exampleInstance+`]`)
	exRecovered  = envelopeExample("Recovered: 127.0.0.1:24102", exampleKey)
	exFailedOver = envelopeExample("Failed over to 127.0.0.1:24102", exampleRecovery)
	exTookOver   = envelopeExample("Took over: 127.0.0.1:24102", exampleRecovery)
	exGraceful   = envelopeExample("graceful-master-takeover: successor 127.0.0.1:24102", exampleRecovery)
)
