/* Pagefind's search API over the whole index of the site, for Pagefind's UIs to load as their
   pagefind.js (bundle path /pagefind/merged/): written by site_builder/search/shards.py.
   The index comes in bundles: the primary one beside ../pagefind.js, plus the shards and the
   recent bundle that ../shards.json lists.  Each is merged in (Pagefind's mergeIndex, results
   sorted by score across them) with the options the UI gave the primary, which Pagefind
   passes to the primary only.  Results whose fragment id is in shards.json's "drop" list are
   set aside: the old text of pages edited (or deleted) since their shard was made, whose new
   text, if any, is in the recent bundle (site_builder/search/recent.py). */
import * as pagefind from "../pagefind.js";

var SHARED = ["excerptLength", "highlightParam", "ranking", "exactDiacritics"];

var layout = fetch(new URL("../shards.json", import.meta.url))
  .then(function (r) { return r.ok ? r.json() : {}; })
  .catch(function () { return {}; })
  .then(function (data) {
    var listed = Array.isArray(data) ? { bundles: data } : data || {};
    return { bundles: listed.bundles || [], drop: new Set(listed.drop || []) };
  });

function shared(options) {
  var picked = {};
  SHARED.forEach(function (key) {
    if (options && options[key] !== undefined) { picked[key] = options[key]; }
  });
  return picked;
}

/* search/preload/filters of one Pagefind instance (the module's own, or one made by
   createInstance), each first merging every listed bundle in, once. */
function wrap(target, given) {
  var ready = null;
  function merged() {
    if (!ready) {
      ready = layout.then(async function (found) {
        for (var i = 0; i < found.bundles.length; i++) {
          await target.mergeIndex(found.bundles[i], shared(given()));
        }
        return found.drop;
      });
    }
    return ready;
  }
  return {
    search: async function (term, options) {
      var drop = await merged();
      return setAside(await target.search(term, options), drop);
    },
    debouncedSearch: async function (term, options, wait) {
      var drop = await merged();
      return setAside(await target.debouncedSearch(term, options, wait), drop);
    },
    preload: async function (term, options) {
      await merged();
      return target.preload(term, options);
    },
    filters: async function () {
      await merged();
      return target.filters();
    },
    reset: function () { ready = null; }
  };
}

function setAside(response, drop) {
  if (!response || !drop.size) { return response; }
  var results = response.results.filter(function (r) { return !drop.has(r.id); });
  var gone = response.results.length - results.length;
  return Object.assign({}, response, {
    results: results,
    unfilteredResultCount: Math.max(0, (response.unfilteredResultCount || 0) - gone)
  });
}

var given = {};
var own = wrap(pagefind, function () { return given; });

export async function options(next) {
  given = Object.assign({}, given, next);
  return pagefind.options(next);
}
export function init() { return pagefind.init(); }
export async function destroy() {
  own.reset();
  return pagefind.destroy();
}
export function mergeIndex(path, more) { return pagefind.mergeIndex(path, more); }
export var search = own.search;
export var debouncedSearch = own.debouncedSearch;
export var preload = own.preload;
export var filters = own.filters;

export function createInstance(first) {
  var instance = pagefind.createInstance(first);
  var settings = Object.assign({}, first);
  var mine = wrap(instance, function () { return settings; });
  return {
    options: function (next) {
      settings = Object.assign({}, settings, next);
      return instance.options(next);
    },
    init: function () { return instance.init(); },
    destroy: function () {
      mine.reset();
      return instance.destroy();
    },
    mergeIndex: function (path, more) { return instance.mergeIndex(path, more); },
    search: mine.search,
    debouncedSearch: mine.debouncedSearch,
    preload: mine.preload,
    filters: mine.filters
  };
}
