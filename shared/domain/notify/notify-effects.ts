/**
 * Notify, applied: the handler of each {@link NotifyEffect} over the ports. Where the world answers
 * otherwise, the answer becomes the decision (an amendment, which skips the decision's later effects):
 * a full or closed window holds the message back (`held`), a channel failing after its retries gets the message
 * parked (`parked`). A channel that took the message makes the decision `sent` (learned: its thread
 * is remembered next). A channel that fails never fails the others: its failure is its decision, not
 * a throw.
 */
import type { ChatSender, NotificationStore, SentMessage, UndeliveredSink } from '../../ports';
import type { EffectHandlers } from '../plan/plan';
import type { NotifyDecision, NotifyEffect } from './notify-plan';

/** What applying a notify plan writes to and sends through. */
export interface NotifyWrites {
  sender: ChatSender;
  store: Pick<NotificationStore, 'admit' | 'addExample' | 'saveThread' | 'closeWindow' | 'noteLateCount'>;
  undelivered: UndeliveredSink;
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Where a send leaves the thread it started, for the `remember-thread` effect that follows it. */
const threadSlot = (channel: string, threadKey: string) => `thread:${channel}#${threadKey}`;

/**
 * The notifier's effect handlers.
 *
 * @example
 * await applyPlan(await planNotification(event, deps), notifyEffects(deps), { dryRun: deps.dryRun });
 */
export function notifyEffects(deps: NotifyWrites): EffectHandlers<NotifyDecision, NotifyEffect> {
  return {
    admit: async (effect) => {
      // The atomic count answers how many similar messages this window has seen, this one included;
      // once per event, so a retry gets the same answer and neither counts nor holds it twice.
      const admitted = await deps.store.admit(effect.channel, effect.groupKey, effect.window, effect.eventId);
      if (admitted.late) {
        // Its window was closed before it came: a closed window sends nothing one by one.
        await deps.store.addExample(effect.channel, effect.groupKey, admitted.windowStart, effect.example, {
          late: true,
        });
        return {
          action: 'held',
          reason: `arrived after its window (${admitted.windowStart} to ${admitted.windowEnd}) was closed: told in the window's late summary`,
        };
      }
      if (admitted.count <= effect.after) return;
      await deps.store.addExample(effect.channel, effect.groupKey, admitted.windowStart, effect.example);
      return {
        action: 'held',
        reason: `similar event ${admitted.count} in the window (more than ${effect.after}): summarised after ${admitted.windowEnd}`,
      };
    },

    send: async (effect, { produced }) => {
      const { channel, message, placement } = effect;
      const thread = placement.as === 'reply' ? placement.thread : undefined;
      let sent: SentMessage | undefined;
      try {
        sent = await deps.sender.send(channel, effect.config, message, thread);
      } catch (error) {
        // The channel keeps failing after its own retries: keep the message, do not hold up the others.
        if (effect.ifUndelivered === 'park')
          await deps.undelivered.park({ channel, message, error: errorText(error) });
        return { action: 'parked', reason: `not delivered: ${errorText(error)}` };
      }
      if (placement.as === 'first' && sent?.ts)
        produced.set(threadSlot(channel, placement.threadKey), JSON.stringify(sent));
      // Carried out as planned: the decision says so, and its thread is remembered next.
      return {
        learned: { action: 'sent', reason: thread ? 'sent in the thread of its deployment' : 'sent' },
      };
    },

    'remember-thread': async (effect, { produced }) => {
      const started = produced.get(threadSlot(effect.channel, effect.threadKey));
      if (!started) return;
      // Conditional: when another message of the deployment got there first, its thread stays.
      await deps.store.saveThread(effect.channel, effect.threadKey, {
        ...(JSON.parse(started) as SentMessage),
        first: effect.first,
      });
    },

    'close-window': async (effect) => {
      // False when another flush closed it already: its summary went out, nothing to change.
      await deps.store.closeWindow(effect.window);
    },

    'note-late-count': async (effect) => {
      await deps.store.noteLateCount(effect.window);
    },
  };
}
