import { createPinia } from 'pinia';
import { createApp } from 'vue';
import App from './App.vue';
// Noto Color Emoji (SIL OFL 1.1), in slices by Unicode range that load when an emoji needs them: every
// OS shows emoji in colour, a Linux without an emoji font too. style.css's --font names it last.
import '@fontsource/noto-color-emoji/index.css';
import './style.css';

// A file dropped anywhere the UI does not take it must not make the page open the file in its place
// (the Electron host also refuses the navigation; a browser tab would follow it).
for (const type of ['dragover', 'drop'] as const) {
  window.addEventListener(type, (event) => event.preventDefault());
}

createApp(App).use(createPinia()).mount('#app');
