// Renders /openapi.json with the vendored Redoc (redoc.standalone.js, MIT,
// see redoc.LICENSE); nothing is fetched from another host.
Redoc.init('/openapi.json', { hideDownloadButton: false, expandResponses: '200,201' }, document.getElementById('redoc'));
