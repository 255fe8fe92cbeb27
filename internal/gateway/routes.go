package gateway

// Route sends every request whose path is Prefix, or starts with Prefix
// followed by "/", to the instances of Service.
type Route struct {
	Prefix  string
	Service string
}

// ContractRoutes are the path prefixes of the API contract and the service
// that answers each. The dead-letter admin endpoints are served by every
// process on the bus; the gateway sends them to iam, which always runs.
var ContractRoutes = []Route{
	{"/iam", "iam"},
	{"/.well-known", "iam"},
	{"/admin", "iam"},
	{"/listings", "listing"},
	// The places API (internal/places) runs in the listing processes.
	{"/places", "listing"},
	{"/cart", "cart"},
	{"/carts", "cart"},
	{"/payments", "payment"},
	{"/tours", "tour"},
	{"/availability", "availability"},
	{"/appointments", "appointment"},
	{"/notifications", "notification"},
	{"/calendar", "notification"},
	// The web app's pages and live stream (internal/web) are served by
	// every process (the pages call the API through the gateway); iam
	// always runs.
	{"/app", "iam"},
	{"/events", "iam"},
	// The API descriptions are embedded in every process.
	{"/openapi.json", "iam"},
	{"/asyncapi.json", "iam"},
	{"/docs", "iam"},
}
