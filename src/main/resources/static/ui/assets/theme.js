// Before the page is drawn, so a dark page never flashes light: the choice kept in this browser, else the system's.
(function () {
  var saved = localStorage.getItem('switchboard-theme');
  var dark = saved ? saved === 'dark' : window.matchMedia('(prefers-color-scheme: dark)').matches;
  document.documentElement.dataset.theme = dark ? 'dark' : 'light';
})();
