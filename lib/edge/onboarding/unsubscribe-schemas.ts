import * as z from 'zod';

export const unsubscribeQuerySchema = z.object({
  token: z.string().min(1).max(400).describe('The signed token from the List-Unsubscribe link'),
});
