/**
 * Test pages as a web team writes them: the SDKs' own snippets, pointed at the hub (the same snippets
 * as docs/web-sdks.md).
 */

/** Segment's analytics.js snippet (5.2.x), with the script and `_cdn` on the hub. */
export function segmentSnippet(hub: string, writeKey: string, loadOptions: object = {}): string {
  return `<script>
!function(){var i="analytics",analytics=window[i]=window[i]||[];if(!analytics.initialize)if(analytics.invoked)window.console&&console.error&&console.error("Segment snippet included twice.");else{analytics.invoked=!0;analytics.methods=["trackSubmit","trackClick","trackLink","trackForm","pageview","identify","reset","group","track","ready","alias","debug","page","screen","once","off","on","addSourceMiddleware","addIntegrationMiddleware","setAnonymousId","addDestinationMiddleware","register"];analytics.factory=function(e){return function(){if(window[i].initialized)return window[i][e].apply(window[i],arguments);var n=Array.prototype.slice.call(arguments);if(["track","screen","alias","group","page","identify"].indexOf(e)>-1){var c=document.querySelector("link[rel='canonical']");n.push({__t:"bpc",c:c&&c.getAttribute("href")||void 0,p:location.pathname,u:location.href,s:location.search,t:document.title,r:document.referrer})}n.unshift(e);analytics.push(n);return analytics}};for(var n=0;n<analytics.methods.length;n++){var key=analytics.methods[n];analytics[key]=analytics.factory(key)}analytics.load=function(key,n){var t=document.createElement("script");t.type="text/javascript";t.async=!0;t.setAttribute("data-global-segment-analytics-key",i);t.src="${hub}/analytics.js/v1/" + key + "/analytics.min.js";var r=document.getElementsByTagName("script")[0];r.parentNode.insertBefore(t,r);analytics._loadOptions=n};analytics._writeKey="${writeKey}";analytics._cdn="${hub}";analytics.SNIPPET_VERSION="5.2.0";
analytics.load("${writeKey}", ${JSON.stringify(loadOptions)});
analytics.page();
}}();
</script>`;
}

/** RudderStack's JavaScript SDK (bundled UMD from the hub), with the hub as data plane and config URL. */
export function rudderstackSnippet(hub: string, writeKey: string, loadOptions: object = {}): string {
  return `<script src="${hub}/sdk/rudderstack/rsa.js"></script>
<script>
window.rudderanalytics = new rudderanalytics.RudderAnalytics();
rudderanalytics.load("${writeKey}", "${hub}", Object.assign({ configUrl: "${hub}", logLevel: "ERROR" }, ${JSON.stringify(loadOptions)}));
rudderanalytics.page();
</script>`;
}

export const html = (title: string, head: string, body = ''): string =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title>${head}</head><body>${body}</body></html>`;
