import { createPinia } from 'pinia';
import { createApp } from 'vue';
import App from './App.vue';
import './style.css';

// A file dropped anywhere the UI does not take it must not make the page open the file in its place
// (the Electron host also refuses the navigation; a browser tab would follow it).
for (const type of ['dragover', 'drop'] as const) {
  window.addEventListener(type, (event) => event.preventDefault());
}

createApp(App).use(createPinia()).mount('#app');
