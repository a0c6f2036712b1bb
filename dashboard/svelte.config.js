import adapter from '@sveltejs/adapter-node';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
const config = {
  preprocess: vitePreprocess(),
  kit: {
    adapter: adapter({ out: 'build' }),
    // SvelteKit adds a per-response nonce to script-src for its own inline bootstrap script. Nothing else
    // inline is allowed: no style attributes, no Svelte transitions (they inject <style> elements).
    csp: {
      mode: 'auto',
      directives: {
        'default-src': ['self'],
        'script-src': ['self'],
        'style-src': ['self'],
        // One exception, by hash: the style attribute of SvelteKit's own route announcer
        // (sveltejs/kit#11993). Any other inline style is refused.
        'style-src-attr': ['unsafe-hashes', 'sha256-S8qMpvofolR8Mpjy4kQvEm7m1q8clzU4dfDH0AmvZjo='],
        'img-src': ['self', 'data:'],
        'font-src': ['self'],
        'connect-src': ['self'],
        'object-src': ['none'],
        'base-uri': ['self'],
        'form-action': ['self'],
        'frame-ancestors': ['none'],
      },
    },
    // The CSRF origin check stays on (SvelteKit's default): form posts from other origins are refused.
  },
};

export default config;
