import { createPinia } from 'pinia';
import { createApp } from 'vue';
import App from './App.vue';
// Noto Color Emoji (SIL OFL 1.1, COLRv1), so every OS shows emoji in colour, a Linux without an emoji
// font too; style.css's --font names it last. The whole font (5.8 MB, read once from the app's own
// files), not @fontsource's slices by Unicode range: Chromium draws some emoji of those slices blank.
import '@fontsource/noto-color-emoji/emoji-400.css';
import './style.css';

// A file dropped anywhere the UI does not take it must not make the page open the file in its place
// (the Electron host also refuses the navigation; a browser tab would follow it).
for (const type of ['dragover', 'drop'] as const) {
  window.addEventListener(type, (event) => event.preventDefault());
}

createApp(App).use(createPinia()).mount('#app');
