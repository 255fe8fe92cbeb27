// Renders the API documents with the vendored Redoc (redoc.standalone.js,
// an ES module, MIT, see redoc.LICENSE): /docs the OpenAPI document,
// /docs?spec=asyncapi the events' AsyncAPI document. Nothing is fetched
// from another host.
import { init } from '/docs/redoc.standalone.js';

const events = new URLSearchParams(location.search).get('spec') === 'asyncapi';
document.title = events ? 'openhouse events reference' : 'openhouse API reference';
init(events ? '/asyncapi.json' : '/openapi.json', { expandResponses: '200,201' }, document.getElementById('redoc'));
